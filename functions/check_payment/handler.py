"""State-machine task: verify the order's Stripe PaymentIntent (retried by the state machine on outage)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.bootstrap import Wiring
from shared.usecases.check_payment import check_payment

w = Wiring("check_payment")
logger = w.logger
orders, payments, claims, clock = w.orders(), w.payments(), w.payment_claims(), w.clock


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    order_id = event["order_id"]
    logger.append_keys(order_id=order_id)
    outcome = check_payment(order_id, orders=orders, payments=payments(), claims=claims, clock=clock)
    logger.info("payment checked", outcome=outcome.outcome, reason=outcome.reason)
    return {"outcome": outcome.outcome, "reason": outcome.reason}

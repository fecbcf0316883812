"""State-machine task: pay the ledger entry's refund through Stripe (at most once) and settle it."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.bootstrap import Wiring
from shared.usecases.refunds import pay_refund_step

w = Wiring("pay_refund")
logger = w.logger
ledger, gateway, clock = w.ledger(), w.stripe_refunds(), w.clock


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(refund_id=event["refund_id"])
    entry = pay_refund_step(event["refund_id"], ledger=ledger, gateway=gateway(), clock=clock)
    logger.info("refund paid", status=entry.status.value, stripe_refund_id=entry.stripe_refund_id)
    return {"status": entry.status.value, "stripe_refund_id": entry.stripe_refund_id}

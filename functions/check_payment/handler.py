"""State-machine task: verify the order's Stripe PaymentIntent (retried by the state machine on outage)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.dynamodb_orders import DynamoDBOrders
from shared.adapters.dynamodb_payment_claims import DynamoDBPaymentClaims
from shared.adapters.stripe_payments import StripePayments, stripe_from_secret
from shared.adapters.system import SystemClock
from shared.aws import client
from shared.logging import masked_logger
from shared.settings import PaymentSettings
from shared.usecases.check_payment import check_payment

settings = PaymentSettings.from_env()
logger = masked_logger()
orders = DynamoDBOrders(client("dynamodb"), settings.orders_table)
claims = DynamoDBPaymentClaims(client("dynamodb"), settings.orders_table)
clock = SystemClock()


def payments() -> StripePayments:
    return StripePayments(stripe_from_secret(settings.stripe_secret, settings.stripe_api_base))


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    order_id = event["order_id"]
    logger.append_keys(order_id=order_id)
    outcome = check_payment(order_id, orders=orders, payments=payments(), claims=claims, clock=clock)
    logger.info("payment checked", outcome=outcome.outcome, reason=outcome.reason)
    return {"outcome": outcome.outcome, "reason": outcome.reason}

"""State-machine task: open the ledger entry a cancellation owes (PENDING), once."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.dynamodb_ledger import DynamoDBLedger
from shared.adapters.dynamodb_orders import DynamoDBOrders
from shared.adapters.stripe_payments import StripePayments, stripe_from_secret
from shared.adapters.system import SystemClock
from shared.aws import client
from shared.logging import masked_logger
from shared.settings import OpenRefundSettings
from shared.usecases.refunds import open_cancellation_refund

settings = OpenRefundSettings.from_env()
logger = masked_logger()
orders = DynamoDBOrders(client("dynamodb"), settings.orders_table)
ledger = DynamoDBLedger(client("dynamodb"), settings.ledger_table)
clock = SystemClock()


def payments() -> StripePayments:
    return StripePayments(stripe_from_secret(settings.stripe_secret, settings.stripe_api_base))


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(order_id=event["order_id"])
    entry = open_cancellation_refund(event["order_id"], orders=orders, payments=payments(), ledger=ledger, clock=clock)
    logger.info("cancellation refund opened", refund_id=entry.refund_id if entry else None)
    # the state machine pays it; None: nothing was captured, nothing is owed
    return {"refund_id": entry.refund_id if entry else None, "owed": entry is not None}

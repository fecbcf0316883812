"""State-machine task: email the customer the refund, once however often retried."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.dynamodb_ledger import DynamoDBLedger
from shared.adapters.dynamodb_orders import DynamoDBOrders
from shared.adapters.ses_mailer import SesMailer
from shared.adapters.system import SystemClock
from shared.aws import client
from shared.exactly_once import once_per
from shared.logging import masked_logger
from shared.settings import RefundEmailSettings
from shared.usecases.refunds import send_refund_email

settings = RefundEmailSettings.from_env()
logger = masked_logger()
orders = DynamoDBOrders(client("dynamodb"), settings.orders_table)
ledger = DynamoDBLedger(client("dynamodb"), settings.ledger_table)
mailer = SesMailer(client("ses"), settings.from_address, settings.shop_name)
clock = SystemClock()
once, config = once_per(settings.idempotency_table, "refund_id")


@once
def email(task: dict[str, Any]) -> dict[str, Any]:
    message_id = send_refund_email(
        task["order_id"],
        task["refund_id"],
        orders=orders,
        ledger=ledger,
        mailer=mailer,
        template=settings.template,
        clock=clock,
    )
    return {"message_id": message_id}


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config.register_lambda_context(context)
    logger.append_keys(order_id=event["order_id"], refund_id=event["refund_id"])
    sent: dict[str, Any] = email(task={"order_id": event["order_id"], "refund_id": event["refund_id"]})
    logger.info("refund email sent", message_id=sent["message_id"])
    return sent

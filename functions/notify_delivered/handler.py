"""State-machine task: email the customer that a shipment was delivered, once however often retried."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.dynamodb_orders import DynamoDBOrders
from shared.adapters.ses_mailer import SesMailer
from shared.adapters.system import SystemClock
from shared.aws import client
from shared.exactly_once import once_per
from shared.logging import masked_logger
from shared.settings import DeliveredSettings
from shared.usecases.notify import send_shipment_email

settings = DeliveredSettings.from_env()
logger = masked_logger()
orders = DynamoDBOrders(client("dynamodb"), settings.orders_table)
mailer = SesMailer(client("ses"), settings.from_address, settings.shop_name)
clock = SystemClock()
once, config = once_per(settings.idempotency_table, "key")


@once
def email(task: dict[str, Any]) -> dict[str, Any]:
    message_id = send_shipment_email(
        task["order_id"],
        task["shipment_id"],
        "delivered",
        orders=orders,
        mailer=mailer,
        template=settings.template,
        clock=clock,
    )
    return {"message_id": message_id}


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config.register_lambda_context(context)
    order_id, shipment_id = event["order_id"], event["shipment_id"]
    logger.append_keys(order_id=order_id, shipment_id=shipment_id)
    sent: dict[str, Any] = email(
        task={"key": f"{shipment_id}#delivered", "order_id": order_id, "shipment_id": shipment_id}
    )
    logger.info("delivery email sent", message_id=sent["message_id"])
    return sent

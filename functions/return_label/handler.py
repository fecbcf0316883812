"""State-machine task: buy the RMA's return label (once) from the carrier and email it to the customer (once)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.dynamodb_nodes import DynamoDBNodes
from shared.adapters.dynamodb_orders import DynamoDBOrders
from shared.adapters.s3_documents import S3Documents
from shared.adapters.sandbox_carrier import SandboxCarrier
from shared.adapters.ses_mailer import SesMailer
from shared.adapters.system import SystemClock
from shared.aws import client
from shared.exactly_once import once_per
from shared.logging import masked_logger
from shared.settings import ReturnLabelSettings
from shared.usecases.notify import send_return_email
from shared.usecases.returns import buy_return_label, order_id_of_rma

settings = ReturnLabelSettings.from_env()
logger = masked_logger()
orders = DynamoDBOrders(client("dynamodb"), settings.orders_table)
nodes = DynamoDBNodes(client("dynamodb"), settings.inventory_table)
carrier = SandboxCarrier(client("s3"), settings.documents_bucket, failure_rate=settings.failure_rate)
clock = SystemClock()
mailer = SesMailer(client("ses"), settings.from_address, settings.shop_name)
documents = S3Documents(client("s3"), settings.documents_bucket)
once, config = once_per(settings.idempotency_table, "key")


@once
def email(task: dict[str, Any]) -> dict[str, Any]:
    message_id = send_return_email(
        task["order_id"],
        task["rma_id"],
        orders=orders,
        mailer=mailer,
        documents=documents,
        template=settings.template,
        clock=clock,
    )
    return {"message_id": message_id}


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config.register_lambda_context(context)
    rma_id = event["rma_id"]
    logger.append_keys(rma_id=rma_id)
    label = buy_return_label(rma_id, orders=orders, nodes=nodes, carrier=carrier, clock=clock)
    sent = email(task={"key": f"{rma_id}#return_opened", "order_id": order_id_of_rma(rma_id), "rma_id": rma_id})
    logger.info("return label bought and sent", tracking_number=label.tracking_number, message_id=sent["message_id"])
    return {"tracking_number": label.tracking_number}

"""State-machine task: email the order confirmation once, however often the task is retried."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.dynamodb_orders import DynamoDBOrders
from shared.adapters.ses_mailer import SesMailer
from shared.adapters.system import SystemClock
from shared.aws import client
from shared.logging import masked_logger
from shared.settings import ConfirmationSettings
from shared.usecases.send_confirmation import send_confirmation

settings = ConfirmationSettings.from_env()
logger = masked_logger()
orders = DynamoDBOrders(client("dynamodb"), settings.orders_table)
mailer = SesMailer(client("ses"), settings.sender)
clock = SystemClock()
# Two concurrent attempts (a retry racing a slow first try) must not both send: the first holds
# an in-progress record keyed on the order, the second fails and is retried by the state machine.
persistence = DynamoDBPersistenceLayer(table_name=settings.idempotency_table, boto3_client=client("dynamodb"))
config = IdempotencyConfig(event_key_jmespath="order_id", expires_after_seconds=7 * 24 * 3600)


@idempotent_function(data_keyword_argument="task", persistence_store=persistence, config=config)
def confirm(task: dict[str, Any]) -> dict[str, Any]:
    message_id = send_confirmation(
        task["order_id"], orders=orders, mailer=mailer, template=settings.template, clock=clock
    )
    return {"order_id": task["order_id"], "message_id": message_id}


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config.register_lambda_context(context)
    logger.append_keys(order_id=event["order_id"])
    result: dict[str, Any] = confirm(task={"order_id": event["order_id"]})
    logger.info("confirmation sent", message_id=result["message_id"])
    return result

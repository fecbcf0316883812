"""State-machine task (.waitForTaskToken): keep the token the delivered or collected event answers."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.dynamodb_orders import DynamoDBOrders
from shared.adapters.sfn_signals import StepFunctionsSignals
from shared.aws import client
from shared.logging import masked_logger
from shared.settings import OrdersOnlySettings
from shared.usecases.delivery import await_delivery

settings = OrdersOnlySettings.from_env()
logger = masked_logger()
orders = DynamoDBOrders(client("dynamodb"), settings.orders_table)
signals = StepFunctionsSignals(client("stepfunctions"))


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(order_id=event["order_id"], shipment_id=event["shipment_id"])
    answered = await_delivery(
        event["order_id"], event["shipment_id"], event["task_token"], orders=orders, signals=signals
    )
    logger.info("waiting for delivery", already_delivered=answered)
    return {"already_delivered": answered}

"""State-machine task (.waitForTaskToken): keep the token the warehouse's return_received answers."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.dynamodb_orders import DynamoDBOrders
from shared.adapters.sfn_signals import StepFunctionsSignals
from shared.aws import client
from shared.logging import masked_logger
from shared.settings import OrdersOnlySettings
from shared.usecases.returns import await_return

settings = OrdersOnlySettings.from_env()
logger = masked_logger()
orders = DynamoDBOrders(client("dynamodb"), settings.orders_table)
signals = StepFunctionsSignals(client("stepfunctions"))


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(rma_id=event["rma_id"])
    answered = await_return(event["rma_id"], event["task_token"], orders=orders, signals=signals)
    logger.info("waiting for the return", already_received=answered)
    return {"already_received": answered}

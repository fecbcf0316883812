"""State-machine task: restock the resellable units of a received return and open its refund."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.dynamodb_inventory import DynamoDBInventory
from shared.adapters.dynamodb_ledger import DynamoDBLedger
from shared.adapters.dynamodb_orders import DynamoDBOrders
from shared.adapters.sfn_workflow import StepFunctionsWorkflow
from shared.adapters.system import SystemClock
from shared.aws import client
from shared.logging import masked_logger
from shared.settings import RestockReturnSettings
from shared.usecases.returns import restock_and_refund

settings = RestockReturnSettings.from_env()
logger = masked_logger()
dynamodb = client("dynamodb")
orders = DynamoDBOrders(dynamodb, settings.orders_table)
inventory = DynamoDBInventory(dynamodb, settings.inventory_table)
ledger = DynamoDBLedger(dynamodb, settings.ledger_table)
refunds = StepFunctionsWorkflow(client("stepfunctions"), settings.refunds_arn)
clock = SystemClock()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(rma_id=event["rma_id"])
    refund_id = restock_and_refund(
        event["rma_id"], orders=orders, inventory=inventory, ledger=ledger, refunds=refunds, clock=clock
    )
    logger.info("return restocked and refunded", refund_id=refund_id)
    return {"refund_id": refund_id}

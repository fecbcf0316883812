"""State-machine task: restock the resellable units of each receipt of a return and open its refund
(`close`: the return window ended, the RMA is closed after that)."""

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
    outcome = restock_and_refund(
        event["rma_id"],
        orders=orders,
        inventory=inventory,
        ledger=ledger,
        refunds=refunds,
        clock=clock,
        close=bool(event.get("close")),
    )
    logger.info("return restocked and refunded", refund_ids=outcome.refund_ids, outstanding=outcome.outstanding)
    # the state machine waits again while units are still out
    return {
        "refund_id": outcome.refund_ids[-1] if outcome.refund_ids else None,
        "outstanding": outcome.outstanding,
        "status": outcome.status,
    }

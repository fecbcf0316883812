"""State-machine task: buy the RMA's return label (once) from the carrier."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.dynamodb_nodes import DynamoDBNodes
from shared.adapters.dynamodb_orders import DynamoDBOrders
from shared.adapters.sandbox_carrier import SandboxCarrier
from shared.adapters.system import SystemClock
from shared.aws import client
from shared.logging import masked_logger
from shared.settings import LabelSettings
from shared.usecases.returns import buy_return_label

settings = LabelSettings.from_env()
logger = masked_logger()
orders = DynamoDBOrders(client("dynamodb"), settings.orders_table)
nodes = DynamoDBNodes(client("dynamodb"), settings.inventory_table)
carrier = SandboxCarrier(client("s3"), settings.documents_bucket, failure_rate=settings.failure_rate)
clock = SystemClock()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(rma_id=event["rma_id"])
    label = buy_return_label(event["rma_id"], orders=orders, nodes=nodes, carrier=carrier, clock=clock)
    logger.info("return label bought", tracking_number=label.tracking_number)
    return {"tracking_number": label.tracking_number}

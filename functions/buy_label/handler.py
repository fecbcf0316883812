"""State-machine task: buy the packed shipment's label (retried by the state machine on carrier outage)."""

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
from shared.usecases.labels import buy_label

settings = LabelSettings.from_env()
logger = masked_logger()
orders = DynamoDBOrders(client("dynamodb"), settings.orders_table)
nodes = DynamoDBNodes(client("dynamodb"), settings.inventory_table)
# The built-in sandbox carrier; a real carrier is another adapter behind shared.ports.Carrier.
carrier = SandboxCarrier(client("s3"), settings.documents_bucket, failure_rate=settings.failure_rate)
clock = SystemClock()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(order_id=event["order_id"], shipment_id=event["shipment_id"])
    label = buy_label(event["order_id"], event["shipment_id"], orders=orders, nodes=nodes, carrier=carrier, clock=clock)
    logger.info("label bought", carrier=label.carrier, service=label.service, tracking_number=label.tracking_number)
    return {"tracking_number": label.tracking_number, "service": label.service, "amount": label.amount}

"""State-machine task: a node rejected its shipment; move the lines to another node or fail the order."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.dynamodb_inventory import DynamoDBInventory
from shared.adapters.dynamodb_nodes import DynamoDBNodes, DynamoDBPolicies
from shared.adapters.dynamodb_orders import DynamoDBOrders
from shared.adapters.system import SystemClock
from shared.aws import client
from shared.logging import masked_logger
from shared.settings import ReserveSettings
from shared.usecases.reroute import reroute_shipment

settings = ReserveSettings.from_env()
logger = masked_logger()
dynamodb = client("dynamodb")
orders = DynamoDBOrders(dynamodb, settings.orders_table)
inventory = DynamoDBInventory(dynamodb, settings.inventory_table)
nodes = DynamoDBNodes(dynamodb, settings.inventory_table)
policies = DynamoDBPolicies(dynamodb, settings.inventory_table)
clock = SystemClock()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(order_id=event["order_id"], shipment_id=event["shipment_id"])
    new = reroute_shipment(
        event["order_id"],
        event["shipment_id"],
        orders=orders,
        inventory=inventory,
        nodes=nodes,
        policies=policies,
        clock=clock,
    )
    logger.info("shipment re-routed", new_shipment=new.shipment_id, node_id=new.node_id)
    return {"shipment_id": new.shipment_id, "node_id": new.node_id, "method": new.method}

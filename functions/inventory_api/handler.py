"""Lambda entry point of the inventory routes. Wiring only."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.inventory_api import routes
from shared import http
from shared.adapters.dynamodb_inventory import DynamoDBInventory
from shared.adapters.dynamodb_nodes import DynamoDBNodes, DynamoDBPolicies
from shared.adapters.sqs_restock import SqsRestock
from shared.adapters.system import SystemClock
from shared.aws import client
from shared.logging import masked_logger
from shared.settings import InventoryApiSettings
from shared.topology import function

FUNCTION = function("inventory_api")
settings = InventoryApiSettings.from_env()
logger = masked_logger()
dynamodb = client("dynamodb")
ports = routes.InventoryPorts(
    inventory=DynamoDBInventory(dynamodb, settings.inventory_table),
    nodes=DynamoDBNodes(dynamodb, settings.inventory_table),
    policies=DynamoDBPolicies(dynamodb, settings.inventory_table),
    restock=SqsRestock(client("sqs"), settings.restock_queue_url),
    clock=SystemClock(),
    logger=logger,
)
app = APIGatewayRestResolver(enable_validation=True)
routes.register(app)
http.install_error_handlers(app)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return http.serve(app, FUNCTION, event, context, ports=ports)

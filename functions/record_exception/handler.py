"""State-machine compensation: record the failed step's cause on the order (status EXCEPTION)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.dynamodb_inventory import DynamoDBInventory
from shared.adapters.dynamodb_orders import DynamoDBOrders
from shared.adapters.system import SystemClock
from shared.aws import client
from shared.logging import masked_logger
from shared.settings import ExceptionSettings
from shared.usecases.record_exception import record_exception
from shared.usecases.reserve_order import release_reservations

settings = ExceptionSettings.from_env()
logger = masked_logger()
orders = DynamoDBOrders(client("dynamodb"), settings.orders_table)
inventory = DynamoDBInventory(client("dynamodb"), settings.inventory_table)
clock = SystemClock()


def describe(error: dict[str, Any]) -> str:
    """Step Functions' Catch output {"Error", "Cause"} as one readable line.

    A shipment's failure arrives as ShipmentFailed whose cause holds the shipment id and the
    original {"Error", "Cause"}: it is told as "<shipment>: <original error>: <message>".
    """
    name = str(error.get("Error", "Error"))
    cause = error.get("Cause", "")
    try:
        parsed = json.loads(cause)
    except (TypeError, ValueError):
        parsed = None
    if isinstance(parsed, dict) and name == "ShipmentFailed" and "failure" in parsed:
        inner = json.loads(parsed["failure"]) if isinstance(parsed["failure"], str) else parsed["failure"]
        return f"{describe(inner)} (shipment {parsed.get('shipment_id')})"[:1000]
    if isinstance(parsed, dict):
        cause = parsed.get("errorMessage", cause)
    return (f"{name}: {cause}" if cause else name)[:1000]


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    cause = describe(event.get("error") or {})
    logger.append_keys(order_id=event["order_id"])
    # Compensation first: whatever the failed flow had reserved goes back on the shelf.
    released = release_reservations(event["order_id"], inventory=inventory)
    status = record_exception(event["order_id"], cause, orders=orders, clock=clock)
    logger.warning("order moved to exception", cause=cause, reservations_released=released)
    return {"status": status, "reservations_released": released}

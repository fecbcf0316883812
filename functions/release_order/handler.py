"""State-machine task: release the reserved order to its nodes; returns the shipments to fulfil."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.dynamodb_orders import DynamoDBOrders
from shared.adapters.system import SystemClock
from shared.aws import client
from shared.logging import masked_logger
from shared.settings import ReleaseSettings
from shared.usecases.release import release_order

settings = ReleaseSettings.from_env()
logger = masked_logger()
orders = DynamoDBOrders(client("dynamodb"), settings.orders_table)
clock = SystemClock()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    order_id = event["order_id"]
    logger.append_keys(order_id=order_id)
    shipments = release_order(order_id, orders=orders, clock=clock)
    logger.info("order released", shipments=[s.shipment_id for s in shipments])
    return {
        "shipments": [
            {"shipment_id": s.shipment_id, "node_id": s.node_id, "method": s.method}
            for s in shipments
            if s.active and s.replaces is None
        ],
        "heartbeat_s": settings.heartbeat_s,
        "timeout_s": settings.timeout_s,
        # a pickup order waits at the store for its pickup window, a parcel for the carrier
        "delivery_timeout_s": settings.pickup_timeout_s
        if any(s.method == "pickup" for s in shipments)
        else settings.delivery_timeout_s,
    }

"""State-machine task: route the order and reserve its stock (all or nothing), then release it to
its nodes; returns the shipments the FulfilShipments map runs (none unless it was reserved)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.bootstrap import Seconds, Wiring
from shared.domain.shipment import Shipment
from shared.usecases.release import release_order
from shared.usecases.reserve_order import reserve_order

w = Wiring("reserve_order")
logger = w.logger
orders, inventory, nodes, policies, clock = w.orders(), w.inventory(), w.node_directory(), w.policies(), w.clock
waits = {
    "heartbeat_s": w.setting("FULFILMENT_HEARTBEAT_S", Seconds),
    "timeout_s": w.setting("FULFILMENT_TIMEOUT_S", Seconds),
    "delivery_timeout_s": w.setting("DELIVERY_TIMEOUT_S", Seconds),
    "pickup_timeout_s": w.setting("PICKUP_TIMEOUT_S", Seconds),
}
# the outcomes whose order is released to its nodes; the others wait (backorder, hold) or ended
RELEASED = ("allocated", "partial")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    order_id = event["order_id"]
    logger.append_keys(order_id=order_id)
    result = reserve_order(order_id, orders=orders, inventory=inventory, nodes=nodes, policies=policies, clock=clock)
    logger.info("order routed", outcome=result.outcome, nodes=list(result.nodes), reason=result.reason)
    shipments = release_order(order_id, orders=orders, clock=clock) if result.outcome in RELEASED else []
    if shipments:
        logger.info("order released", shipments=[s.shipment_id for s in shipments])
    return {"outcome": result.outcome, "nodes": list(result.nodes), **_fulfilment(shipments)}


def _fulfilment(shipments: list[Shipment]) -> dict[str, Any]:
    return {
        "shipments": [
            {"shipment_id": s.shipment_id, "node_id": s.node_id, "method": s.method}
            for s in shipments
            # not the ones already handed over before a retry, nor re-routes (their flow runs them)
            if s.active and s.replaces is None and not s.handed_over
        ],
        "heartbeat_s": waits["heartbeat_s"],
        "timeout_s": waits["timeout_s"],
        # a pickup order waits at the store for its pickup window, a parcel for the carrier
        "delivery_timeout_s": waits["pickup_timeout_s"]
        if any(s.method == "pickup" for s in shipments)
        else waits["delivery_timeout_s"],
    }

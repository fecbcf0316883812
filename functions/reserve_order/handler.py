"""Preparation task: route the order and reserve its stock (all or nothing), then release it to its
nodes and start one fulfilment execution per shipment (none unless it was reserved)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.bootstrap import Seconds, Wiring
from shared.topology import FULFILMENT, PREPARATION
from shared.usecases.release import release_and_fulfil
from shared.usecases.reserve_order import reserve_order

w = Wiring("reserve_order")
logger = w.logger
orders, inventory, nodes, policies, clock = w.orders(), w.inventory(), w.node_directory(), w.policies(), w.clock
workflow = w.workflow(FULFILMENT)
limits = {
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
    run = event.get("run") or order_id  # the preparation's execution name
    logger.append_keys(order_id=order_id)
    result = reserve_order(order_id, orders=orders, inventory=inventory, nodes=nodes, policies=policies, clock=clock)
    logger.info("order routed", outcome=result.outcome, nodes=list(result.nodes), reason=result.reason)
    shipments = []
    if result.outcome in RELEASED:
        shipments = release_and_fulfil(
            order_id,
            run,
            limits,
            orders=orders,
            workflow=workflow,
            clock=clock,
            state_machine=FULFILMENT.name,
            run_machine=PREPARATION.name,
        )
        logger.info("order released", shipments=[s.shipment_id for s in shipments])
    return {
        "outcome": result.outcome,
        "nodes": list(result.nodes),
        "shipments": [{"shipment_id": s.shipment_id, "node_id": s.node_id, "method": s.method} for s in shipments],
    }

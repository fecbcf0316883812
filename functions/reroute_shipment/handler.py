"""State-machine task: a node rejected its shipment; move the lines to another node or fail the order."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.bootstrap import Wiring
from shared.usecases.reroute import reroute_shipment

w = Wiring("reroute_shipment")
logger = w.logger
orders, inventory, nodes, policies, clock = w.orders(), w.inventory(), w.node_directory(), w.policies(), w.clock


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    order_id, shipment_id = event["order_id"], event["shipment_id"]
    logger.append_keys(order_id=order_id, shipment_id=shipment_id)
    new = reroute_shipment(
        order_id, shipment_id, orders=orders, inventory=inventory, nodes=nodes, policies=policies, clock=clock
    )
    logger.info("shipment re-routed", new_shipment=new.shipment_id, node_id=new.node_id)
    return {"shipment_id": new.shipment_id, "node_id": new.node_id, "method": new.method}

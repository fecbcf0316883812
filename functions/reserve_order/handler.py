"""State-machine task: route the order and reserve its stock (all or nothing)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.bootstrap import Wiring
from shared.usecases.reserve_order import reserve_order

w = Wiring("reserve_order")
logger = w.logger
orders, inventory, nodes, policies, clock = w.orders(), w.inventory(), w.node_directory(), w.policies(), w.clock


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(order_id=event["order_id"])
    result = reserve_order(
        event["order_id"], orders=orders, inventory=inventory, nodes=nodes, policies=policies, clock=clock
    )
    logger.info("order routed", outcome=result.outcome, nodes=list(result.nodes), reason=result.reason)
    return {"outcome": result.outcome, "nodes": list(result.nodes)}

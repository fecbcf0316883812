"""Lambda entry point of the inventory routes. Wiring only."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.inventory_api import routes
from shared import http
from shared.bootstrap import Wiring

w = Wiring("inventory_api")
logger = w.logger
ports = routes.InventoryPorts(
    inventory=w.inventory(),
    nodes=w.nodes(),
    policies=w.policies(),
    restock=w.restock(),
    clock=w.clock,
    logger=logger,
)
app = http.resolver(routes.register, w.browser_origin())


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return http.serve(app, w.function, event, context, ports=ports)

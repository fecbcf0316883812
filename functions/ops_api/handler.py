"""Lambda entry point of the operations reads: executions step by step, dead letters. Wiring only."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.ops_api import routes
from shared import http
from shared.bootstrap import Wiring

w = Wiring("ops_api")
logger = w.logger
ports = routes.OpsPorts(
    orders=w.orders(),
    history=w.execution_history(),
    dead_letters=w.dead_letters(),
    clock=w.clock,
    logger=logger,
)
app = http.resolver(routes.register)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return http.serve(app, w.function, event, context, ports=ports)

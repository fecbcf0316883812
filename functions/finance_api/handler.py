"""Lambda entry point of the finance routes. Wiring only."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.finance_api import routes
from shared import http
from shared.bootstrap import Wiring

w = Wiring("finance_api")
logger = w.logger
ports = routes.FinancePorts(
    ledger=w.ledger(),
    gateway=w.stripe_refunds(),
    reports=w.reports(),
    log=w.reconciliations(),
    clock=w.clock,
    logger=logger,
)
app = http.resolver(routes.register, w.browser_origin())


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return http.serve(app, w.function, event, context, ports=ports)

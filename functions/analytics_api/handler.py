"""Lambda entry point of the analytics routes: Athena in AWS, DuckDB over the emulated S3 on the
embedded stack (the same report files either way)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.analytics_api import routes
from shared import http
from shared.bootstrap import Wiring
from shared.topology import FACTS

w = Wiring("analytics_api")
logger = w.logger
ports = routes.AnalyticsPorts(engine=w.report_engine(FACTS), clock=w.clock, logger=logger)
app = http.resolver(routes.register, w.browser_origin())


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return http.serve(app, w.function, event, context, ports=ports)

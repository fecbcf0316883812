"""Lambda entry point of the analytics routes. Wiring only: Athena in AWS, DuckDB over the emulated
S3 on the embedded stack (the same report files either way)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.analytics_api import routes
from shared import http
from shared.adapters.s3_facts import S3FactFiles
from shared.adapters.system import SystemClock
from shared.aws import client
from shared.logging import masked_logger
from shared.ports import ReportEngine
from shared.settings import AnalyticsSettings
from shared.topology import FACTS, function

FUNCTION = function("analytics_api")
settings = AnalyticsSettings.from_env()
logger = masked_logger()


fact_files = S3FactFiles(client("s3"), settings.bucket, FACTS.prefix)


def engine() -> ReportEngine:
    if settings.engine == "duckdb":
        # imported here: duckdb is a development dependency, not in the Lambda layer
        from shared.adapters.duckdb_reports import DuckDBReports

        local = DuckDBReports()
        local.load(fact_files.rows())  # objects read on an earlier request are not read again
        return local
    from shared.adapters.athena_reports import AthenaReports

    return AthenaReports(client("athena"), settings.workgroup, settings.database)


ports = routes.AnalyticsPorts(engine=engine, clock=SystemClock(), logger=logger)
app = APIGatewayRestResolver(enable_validation=True)
routes.register(app)
http.install_error_handlers(app)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return http.serve(app, FUNCTION, event, context, ports=ports)

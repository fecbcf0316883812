"""Analytics routes of HTTP API v1: the reports, and each one run over a range of capture days.
Registered on the analytics function's resolver and on the OpenAPI resolver."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel

from shared import http
from shared.analytics import catalog
from shared.ports import Clock, ReportEngine
from shared.schemas.analytics import ColumnView, ParameterView, ReportAnswer, ReportInfo, ReportList
from shared.usecases.analytics import PARAMETERS, run_report, scope_for

FILTER_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"


@dataclass(frozen=True)
class AnalyticsPorts:
    # a report engine per request (DuckDB loads the facts stored so far; Athena is stateless)
    engine: Callable[[], ReportEngine]
    clock: Clock
    logger: Logger


def _json(model: BaseModel) -> Response[Any]:
    return Response(200, content_types.APPLICATION_JSON, model.model_dump_json(by_alias=True))


def _columns(report: catalog.Report) -> list[ColumnView]:
    return [ColumnView(name=c.name, type=c.type) for c in report.columns]


def info(report: catalog.Report) -> ReportInfo:
    return ReportInfo(
        name=report.name,
        title=report.title,
        description=report.description,
        columns=_columns(report),
        parameters=[ParameterView(name=n, type=t, required=False, description=d) for n, t, d in PARAMETERS],
    )


def register(app: APIGatewayRestResolver) -> None:
    def ports() -> AnalyticsPorts:
        found: AnalyticsPorts = app.context["ports"]
        return found

    @app.get(
        "/v1/analytics",
        summary="The analytics reports: name, title, columns and parameters",
        responses={
            200: {"description": "Reports", "content": {"application/json": {"model": ReportList}}},
            **http.documented_errors(401, 403),
        },
        tags=["analytics"],
        operation_id="list_reports",
    )
    def list_reports() -> Response[Any]:
        return _json(ReportList(reports=[info(r) for r in catalog.reports().values()]))

    @app.get(
        "/v1/analytics/<report>",
        summary="One report over the orders captured in a range of UTC days",
        description="Rows as JSON with the column types; every later event of those orders (shipping, "
        "delivery, returns, refunds) counts. A range spans at most 92 days (default: the last 30).",
        responses={
            200: {"description": "The report", "content": {"application/json": {"model": ReportAnswer}}},
            **http.documented_errors(401, 403, 422),
        },
        tags=["analytics"],
        operation_id="get_report",
    )
    def get_report(
        report: Annotated[str, Path(pattern=catalog.NAME_PATTERN, description="A report name from /v1/analytics")],
        from_: Annotated[date | None, Query(alias="from", description="First capture day (YYYY-MM-DD)")] = None,
        to: Annotated[date | None, Query(description="Last capture day (YYYY-MM-DD)")] = None,
        channel: Annotated[str | None, Query(pattern=FILTER_PATTERN)] = None,
        node_id: Annotated[str | None, Query(pattern=FILTER_PATTERN)] = None,
    ) -> Response[Any]:
        p = ports()
        found = catalog.report(report)  # UnknownReport and InvalidRange answer 422 (shared/http.py)
        scope = scope_for(p.clock.now().date(), from_, to, channel, node_id)
        answer = run_report(found, scope, p.engine())
        p.logger.info("report run", report=report, rows=len(answer.result.rows))
        return _json(
            ReportAnswer(
                report=found.name,
                title=found.title,
                from_=scope.from_day.isoformat(),
                to=scope.to_day.isoformat(),
                channel=channel,
                node_id=node_id,
                columns=_columns(found),
                rows=answer.rows(),
            )
        )

"""Finance routes of HTTP API v1: the refund ledger and reconciliations of it against Stripe.
Registered on the finance function's resolver and on the OpenAPI resolver."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from pydantic import BaseModel

from shared import http
from shared.domain.refund_ledger import RefundStatus
from shared.ports import Clock, LedgerQuery, RefundGateway, RefundLedger, ReportStore
from shared.schemas.errors import ErrorDetail
from shared.schemas.finance import (
    ReconciliationCreated,
    ReconciliationIn,
    ReconciliationListed,
    ReconciliationPage,
    ReconciliationView,
    RefundList,
)
from shared.schemas.ledger_view import LedgerEntryView
from shared.usecases import list_refunds as refunds_page
from shared.usecases import reconciliation_rows as rows
from shared.usecases.reconcile import (
    EARLIEST,
    ID_PATTERN,
    LATEST,
    report_keys,
    run_reconciliation,
    stored_reconciliation,
)
from shared.usecases.reconciliation_log import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    ReconciliationLog,
    ReconciliationRecord,
    list_reconciliations,
)

# A time range spans at most 92 days (the ledger lists a range one UTC day at a time).
MAX_WINDOW = timedelta(days=92)
LINK_EXPIRES_S = 3600


@dataclass(frozen=True)
class FinancePorts:
    ledger: RefundLedger
    # Stripe, with the key as currently stored (read per call, cached a few minutes)
    gateway: Callable[[], RefundGateway]
    reports: ReportStore
    log: ReconciliationLog
    clock: Clock
    logger: Logger


RecId = Annotated[str, Path(pattern=ID_PATTERN, description="The reconciliation id, rec_<yyyymmdd>_<hhmmss>_<hash>")]


def _json(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(status, content_types.APPLICATION_JSON, model.model_dump_json(), headers=headers)


def _invalid(field: str, issue: str) -> Response[Any]:
    return http.error(422, "validation_failed", issue, [ErrorDetail(field=field, issue=issue)])


def _links(rec_id: str, reports: ReportStore) -> dict[str, str]:
    json_key, csv_key = report_keys(rec_id)
    return {"csv_url": reports.url(csv_key, LINK_EXPIRES_S), "json_url": reports.url(json_key, LINK_EXPIRES_S)}


def _listed(record: ReconciliationRecord, reports: ReportStore) -> ReconciliationListed:
    return ReconciliationListed.model_validate(
        {
            "reconciliation_id": record.reconciliation_id,
            "ran_at": record.ran_at,
            "period_start": record.period_start,
            "period_end": record.period_end,
            "day": record.day,
            "clean": record.clean,
            "totals": record.totals,
            "summary": record.summary,
            **_links(record.reconciliation_id, reports),
        },
        from_attributes=True,
    )


def register(app: APIGatewayRestResolver) -> None:
    def ports() -> FinancePorts:
        found: FinancePorts = app.context["ports"]
        return found

    @app.get(
        "/v1/finance/refunds",
        summary="The refund ledger, filtered, a page at a time",
        description="Refunds created in [since, until), oldest first. With `order_id`, that order's refunds; "
        "with `status=PENDING` alone, every unsettled refund; otherwise a time range of at most 92 days "
        "(`since` defaults to 30 days ago, `until` to now). Times are ISO 8601 with a timezone. "
        f"`limit` 1 to {refunds_page.MAX_LIMIT} (default {refunds_page.DEFAULT_LIMIT}); pass `next` back as "
        "`cursor`, with the same filters, for the next page. A page may hold fewer than `limit` refunds while "
        "`next` is set (a page reads a bounded number of days); follow `next` until it is null. A cursor this "
        "listing did not give out (or for other filters) is `400 invalid_cursor`.",
        responses={
            200: {"description": "A page of refunds", "content": {"application/json": {"model": RefundList}}},
            **http.documented_errors(401, 403, 422, codes={400: ("invalid_cursor",)}),
        },
        tags=["finance"],
        operation_id="list_refunds",
    )
    def list_refunds(
        status: Annotated[RefundStatus | None, Query(description="PENDING, SUCCEEDED or FAILED")] = None,
        order_id: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
        since: Annotated[datetime | None, Query(description="Created at or after (ISO 8601)")] = None,
        until: Annotated[datetime | None, Query(description="Created before (ISO 8601)")] = None,
        limit: Annotated[int, Query(ge=1, le=refunds_page.MAX_LIMIT)] = refunds_page.DEFAULT_LIMIT,
        cursor: Annotated[str | None, Query(min_length=1, max_length=1000)] = None,
    ) -> Response[Any]:
        p = ports()
        for name, value in (("since", since), ("until", until)):
            if value is not None and value.tzinfo is None:
                return _invalid(name, "a time needs a timezone, e.g. 2024-05-01T00:00:00Z")
            if value is not None and not EARLIEST <= value <= LATEST:
                return _invalid(name, f"a time lies between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}")
        if since is not None and until is not None and until <= since:
            return _invalid("until", "until must be after since")
        now = p.clock.now()
        if order_id is None and since is not None and (until or now) - since > MAX_WINDOW:
            return _invalid("since", f"a time range spans at most {MAX_WINDOW.days} days; narrow it or add order_id")
        query = LedgerQuery(status=status, order_id=order_id, since=since, until=until)
        page = refunds_page.list_refunds(p.ledger, query, now, limit, cursor)
        return _json(RefundList(refunds=[LedgerEntryView.of(e) for e in page.refunds], next=page.next))

    @app.post(
        "/v1/finance/reconciliations",
        summary="Reconcile the refund ledger against Stripe for a day or a period, now",
        description='Body `{"date": "YYYY-MM-DD"}` (a UTC day) or `{"period_start", "period_end"}` (at most '
        "31 days). The report (one row per refund: matched, missing_in_stripe, missing_in_waybill, "
        "amount_mismatch, status_mismatch) is stored as JSON and CSV; the answer links both.",
        responses={
            201: {
                "description": "Reconciled",
                "content": {"application/json": {"model": ReconciliationCreated}},
                "headers": {"Location": http.LOCATION},
            },
            **http.documented_errors(400, 401, 403, 413, 415, 422),
        },
        tags=["finance"],
        operation_id="reconcile",
    )
    def post_reconciliation(body: Annotated[ReconciliationIn, Body()]) -> Response[Any]:
        p = ports()
        start, end = body.period()
        run = run_reconciliation(
            start, end, ledger=p.ledger, gateway=p.gateway(), reports=p.reports, log=p.log, clock=p.clock
        )
        summary = {str(kind): s.count for kind, s in run.report.summary.items()}
        p.logger.info("reconciled", reconciliation_id=run.reconciliation_id, clean=run.report.clean, summary=summary)
        created = ReconciliationCreated.model_validate({**run.document, **_links(run.reconciliation_id, p.reports)})
        headers = {"Location": f"/v1/finance/reconciliations/{run.reconciliation_id}"}
        return _json(created, 201, headers)

    @app.get(
        "/v1/finance/reconciliations",
        summary="Past reconciliations, newest first, with the count and amounts per class",
        description="Every reconciliation run (by hand or the daily one), newest first by when it ran: its "
        "period (and `day` when it is one UTC day), whether it is clean, the totals and the summary per class, "
        "and links to its CSV and JSON. `limit` 1 to 200 (default 50); pass `next` back as `cursor` for the "
        "next page. A cursor this listing did not give out is `400 invalid_cursor`.",
        responses={
            200: {
                "description": "A page of reconciliations",
                "content": {"application/json": {"model": ReconciliationPage}},
            },
            **http.documented_errors(401, 403, 422, codes={400: ("invalid_cursor",)}),
        },
        tags=["finance"],
        operation_id="list_reconciliations",
    )
    def list_past_reconciliations(
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, Query(min_length=1, max_length=1000)] = None,
    ) -> Response[Any]:
        p = ports()
        page = list_reconciliations(p.log, limit, cursor)
        listed = [_listed(record, p.reports) for record in page.records]
        return _json(ReconciliationPage(reconciliations=listed, next=page.next))

    @app.get(
        "/v1/finance/reconciliations/<reconciliation_id>",
        summary="A stored reconciliation report: summary per class and its rows, a page at a time",
        description=f"The rows in the report's order, `limit` 1 to {rows.MAX_LIMIT} at a time (default "
        f"{rows.DEFAULT_LIMIT}); pass `next` back as `cursor` for the next rows. The CSV and JSON links hold every "
        "row. A cursor given out for another reconciliation, or made up, is `400 invalid_cursor`.",
        responses={
            200: {"description": "The report", "content": {"application/json": {"model": ReconciliationView}}},
            **http.documented_errors(401, 403, 422, codes={400: ("invalid_cursor",)}),
        },
        tags=["finance"],
        operation_id="get_reconciliation",
    )
    def get_reconciliation(
        reconciliation_id: RecId,
        limit: Annotated[int, Query(ge=1, le=rows.MAX_LIMIT)] = rows.DEFAULT_LIMIT,
        cursor: Annotated[str | None, Query(min_length=1, max_length=1000)] = None,
    ) -> Response[Any]:
        p = ports()
        document = stored_reconciliation(reconciliation_id, reports=p.reports)
        if document is None:
            return http.error(404, "not_found", f"reconciliation {reconciliation_id} not found")
        page, following = rows.rows_page(document, limit, cursor)
        view = {**page, **_links(reconciliation_id, p.reports), "next": following}
        return _json(ReconciliationView.model_validate(view))

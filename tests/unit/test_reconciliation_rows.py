"""GET /v1/finance/reconciliations/{id}: the rows a page at a time, in the report's order, each once;
a cursor is good only for the reconciliation that gave it out."""

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from functions.finance_api import routes
from shared import http
from shared import topology as t
from shared.usecases import paging
from shared.usecases.reconcile import day_period, run_reconciliation
from shared.usecases.reconciliation_rows import LISTING
from tests.unit.builders import api_event
from tests.unit.fakes import FixedClock, InMemoryLedger, InMemoryReconciliations, InMemoryReports, InMemoryStripeRefunds
from tests.unit.test_reconcile_usecase import entry, stripe

DAY, NEXT = day_period(date(2026, 3, 14))
RAN = datetime(2026, 3, 15, 2, 30, tzinfo=UTC)


def finance(reports: InMemoryReports) -> routes.FinancePorts:
    return routes.FinancePorts(
        ledger=InMemoryLedger(),
        gateway=InMemoryStripeRefunds,
        reports=reports,
        log=InMemoryReconciliations(),
        clock=FixedClock(RAN, step=timedelta(0)),
        logger=Logger(service="test"),
    )


def reconciled(reports: InMemoryReports, refunds: int, ran: datetime = RAN) -> str:
    ledger = InMemoryLedger([entry(n, DAY + timedelta(minutes=n), stripe_id=f"re_{n}") for n in range(refunds)])
    gateway = InMemoryStripeRefunds(
        [stripe(f"re_{n}", DAY + timedelta(minutes=n), refund_id=f"rf_{n}") for n in range(refunds)]
    )
    done = run_reconciliation(
        DAY, NEXT, ledger=ledger, gateway=gateway, reports=reports, log=InMemoryReconciliations(),
        clock=FixedClock(ran, step=timedelta(0)),
    )  # fmt: skip
    return done.reconciliation_id


def get(ports: routes.FinancePorts, rec_id: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
    path = f"/v1/finance/reconciliations/{rec_id}"
    event = api_event("GET", path, "/v1/finance/reconciliations/{reconciliation_id}", kind="finance")
    event["queryStringParameters"] = query or None
    answer = http.serve(http.resolver(routes.register), t.function("finance_api"), event, None, ports=ports)
    return answer["statusCode"], json.loads(answer["body"])


def test_rows_come_a_page_at_a_time_in_the_reports_order():
    reports = InMemoryReports()
    rec_id = reconciled(reports, 23)
    ports = finance(reports)
    stored = json.loads(next(body for key, (body, _) in reports.objects.items() if key.endswith(".json")))
    pages, cursor = [], None
    while True:
        status, view = get(ports, rec_id, {"limit": "10", **({"cursor": cursor} if cursor else {})})
        assert status == 200, view
        assert view["summary"] == stored["summary"]  # every page carries the whole summary
        pages.append(view["rows"])
        if (cursor := view["next"]) is None:
            break
    assert [len(p) for p in pages] == [10, 10, 3]
    assert [r for p in pages for r in p] == stored["rows"]
    status, whole = get(ports, rec_id, {})  # 500 rows by default: this report in one page
    assert (status, len(whole["rows"]), whole["next"]) == (200, 23, None)


def test_a_cursor_of_another_reconciliation_or_past_the_end_is_refused():
    reports = InMemoryReports()
    first, second = reconciled(reports, 5), reconciled(reports, 5, RAN + timedelta(hours=1))
    ports = finance(reports)
    _, page = get(ports, first, {"limit": "2"})
    status, refused = get(ports, second, {"cursor": page["next"]})
    assert (status, refused["error"]["code"]) == (400, "invalid_cursor")
    status, _ = get(ports, first, {"cursor": page["next"]})
    assert status == 200
    past_the_end = paging.encode(LISTING, paging.digest({"reconciliation_id": first}), "99")
    status, refused = get(ports, first, {"cursor": past_the_end})
    assert (status, refused["error"]["code"]) == (400, "invalid_cursor")
    for limit in ("0", "1001"):
        status, refused = get(ports, first, {"limit": limit})
        assert (status, refused["error"]["code"]) == (422, "validation_failed")

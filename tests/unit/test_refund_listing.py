"""GET /v1/finance/refunds a page at a time: every refund once, the cursor bound to its listing and
filters, the page size bounded; and the sweep reads PENDING in pages, only up to its grace period."""

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aws_lambda_powertools import Logger

from functions.finance_api import routes
from shared import http
from shared import topology as t
from shared.domain.refund_ledger import LedgerEntry, RefundReason, RefundStatus
from shared.ports import LedgerQuery
from shared.usecases import paging
from shared.usecases.list_refunds import MAX_LIMIT, list_refunds
from shared.usecases.sweep_refunds import GRACE, SWEEP_PAGE, sweep_pending_refunds
from tests.unit.builders import api_event
from tests.unit.fakes import (
    FakeWorkflow,
    FixedClock,
    InMemoryLedger,
    InMemoryReconciliations,
    InMemoryReports,
    InMemoryStripeRefunds,
)

NOW = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)


def entry(n: int, at: datetime, status: RefundStatus = RefundStatus.SUCCEEDED, order: str | None = None) -> LedgerEntry:
    return LedgerEntry(
        f"rf_{n:05d}",
        order or f"ord_{n}",
        "pi_1",
        100 + n,
        "USD",
        RefundReason.CANCELLATION,
        f"c{n}",
        f"k{n}",
        status,
        None,
        None,
        at,
        None,
    )


def spread(count: int, days: int = 20) -> list[LedgerEntry]:
    """`count` refunds over the last `days` days, several per day, some at the same instant."""
    return [
        entry(i, NOW - timedelta(days=days) + timedelta(hours=(i * 7) % (24 * days), seconds=i % 3))
        for i in range(count)
    ]


def every_page(ledger: InMemoryLedger, query: LedgerQuery, limit: int, now: datetime = NOW) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = list_refunds(ledger, query, now, limit, cursor)
        pages.append([e.refund_id for e in page.refunds])
        if page.next is None:
            return pages
        cursor = page.next


def test_pages_give_every_refund_once_oldest_first():
    entries = spread(230)
    ledger = InMemoryLedger(entries)
    pages = every_page(ledger, LedgerQuery(), 40)
    seen = [rid for page in pages for rid in page]
    assert all(len(p) <= 40 for p in pages)
    assert len(pages) == 6
    expected = sorted(entries, key=lambda e: (e.created_at, e.refund_id))
    assert seen == [e.refund_id for e in expected]


def test_the_default_window_is_chosen_once_for_every_page_of_a_listing():
    old = entry(1, NOW - timedelta(days=30) + timedelta(minutes=5))  # inside the first page's window only
    ledger = InMemoryLedger([old, *[entry(i, NOW - timedelta(days=1, minutes=i)) for i in range(2, 6)]])
    first = list_refunds(ledger, LedgerQuery(), NOW, 2)
    assert [e.refund_id for e in first.refunds] == ["rf_00001", "rf_00005"]
    # an hour later the default window would start past `old`; the cursor keeps the first page's start
    later = list_refunds(ledger, LedgerQuery(), NOW + timedelta(hours=1), 2, first.next)
    assert ledger.paged[-1][0].since == NOW - timedelta(days=30)
    assert [e.refund_id for e in later.refunds] == ["rf_00004", "rf_00003"]


def test_filters_keep_working_a_page_at_a_time():
    ledger = InMemoryLedger(
        [entry(i, NOW - timedelta(hours=i), RefundStatus.PENDING if i % 2 else RefundStatus.FAILED) for i in range(9)]
        + [entry(100 + i, NOW - timedelta(days=3, hours=i), order="ord_x") for i in range(5)]
    )
    pending = every_page(ledger, LedgerQuery(status=RefundStatus.PENDING), 2)
    assert sorted(r for p in pending for r in p) == [f"rf_{i:05d}" for i in (1, 3, 5, 7)]
    by_order = every_page(ledger, LedgerQuery(order_id="ord_x"), 3)
    assert [len(p) for p in by_order] == [3, 2]
    failed = every_page(ledger, LedgerQuery(status=RefundStatus.FAILED, since=NOW - timedelta(days=1)), 10)
    assert failed == [[f"rf_{i:05d}" for i in (8, 6, 4, 2, 0)]]


def _cursor(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_a_cursor_is_good_only_for_its_listing_and_filters():
    ledger = InMemoryLedger(spread(30))
    good = list_refunds(ledger, LedgerQuery(status=RefundStatus.SUCCEEDED), NOW, 5).next
    assert good is not None
    data = json.loads(base64.urlsafe_b64decode(good + "=" * (-len(good) % 4)))
    for bad, why in (
        ("not-a-cursor", "does not decode"),
        (_cursor([1, 2]), "expected fields"),
        (_cursor({**data, "l": "reorders"}), "another listing"),
        (_cursor({**data, "p": "DROP TABLE"}), "position"),
        (_cursor({**data, "p": "2026-13-45"}), "position"),
        (_cursor({**data, "s": "yesterday"}), "start"),
        (_cursor({**data, "s": "2026-11-01T00:00:00"}), "start"),
        (_cursor({key: v for key, v in data.items() if key != "s"}), "expected fields"),
    ):
        with pytest.raises(paging.InvalidCursor, match=why):
            list_refunds(ledger, LedgerQuery(status=RefundStatus.SUCCEEDED), NOW, 5, bad)
    # the same cursor with other filters
    with pytest.raises(paging.InvalidCursor, match="other filters"):
        list_refunds(ledger, LedgerQuery(status=RefundStatus.FAILED), NOW, 5, good)
    assert list_refunds(ledger, LedgerQuery(status=RefundStatus.SUCCEEDED), NOW, 5, good).refunds


@pytest.mark.parametrize("limit", [0, MAX_LIMIT + 1])
def test_the_page_size_is_bounded(limit):
    with pytest.raises(ValueError, match="limit"):
        list_refunds(InMemoryLedger(), LedgerQuery(), NOW, limit)


def _finance(ledger: InMemoryLedger, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
    ports = routes.FinancePorts(
        ledger=ledger,
        gateway=InMemoryStripeRefunds,
        reports=InMemoryReports(),
        log=InMemoryReconciliations(),
        clock=FixedClock(NOW, step=timedelta(0)),
        logger=Logger(service="test"),
    )
    event = api_event("GET", "/v1/finance/refunds", "/v1/finance/refunds", kind="finance")
    event["queryStringParameters"] = query
    answer = http.serve(http.resolver(routes.register), t.function("finance_api"), event, None, ports=ports)
    return answer["statusCode"], json.loads(answer["body"])


def test_the_http_listing_pages_and_refuses_a_made_up_cursor_or_an_unbounded_page():
    ledger = InMemoryLedger(spread(12))
    status, first = _finance(ledger, {"limit": "5"})
    assert (status, len(first["refunds"])) == (200, 5)
    assert first["next"]
    status, rest = _finance(ledger, {"limit": "500", "cursor": first["next"]})
    assert (status, len(rest["refunds"]), rest["next"]) == (200, 7, None)
    status, default = _finance(ledger, {})
    assert (status, len(default["refunds"]), default["next"]) == (200, 12, None)  # 100 by default
    status, refused = _finance(ledger, {"cursor": _cursor({"l": "refunds", "f": "x", "p": "2026-01-01", "s": None})})
    assert (status, refused["error"]["code"]) == (400, "invalid_cursor")
    for limit in ("0", "501", "many"):
        status, refused = _finance(ledger, {"limit": limit})
        assert (status, refused["error"]["code"]) == (422, "validation_failed"), limit
        assert refused["error"]["details"][0]["field"] == "limit"


def test_the_sweep_reads_pending_a_page_at_a_time_and_not_the_young_ones():
    stuck = [entry(i, NOW - GRACE - timedelta(minutes=i + 1), RefundStatus.PENDING) for i in range(2 * SWEEP_PAGE + 7)]
    young = [entry(9000 + i, NOW - timedelta(minutes=i), RefundStatus.PENDING) for i in range(5)]
    ledger = InMemoryLedger([*stuck, *young])
    refunds = FakeWorkflow()
    swept = sweep_pending_refunds(ledger=ledger, refunds=refunds, clock=FixedClock(NOW, step=timedelta(0)))
    assert sorted(swept) == sorted(e.refund_id for e in stuck)  # each once, the young ones not at all
    assert [(limit, q.until) for q, limit, _ in ledger.paged] == [(SWEEP_PAGE, NOW - GRACE)] * 3
    assert len(refunds.started) == len(stuck)

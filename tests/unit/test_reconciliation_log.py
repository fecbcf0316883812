"""Past reconciliations: what a run leaves in the log, and the listing newest first, a page at a time."""

import base64
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from shared.domain.reconciliation import ClassSummary, Match
from shared.domain.refund_ledger import RefundStatus
from shared.usecases.exception_queue import encode_cursor
from shared.usecases.reconcile import day_period, reconciliation_id, run_reconciliation
from shared.usecases.reconciliation_log import InvalidCursor, ReconciliationRecord, list_reconciliations
from tests.unit.fakes import FixedClock, InMemoryLedger, InMemoryReconciliations, InMemoryReports, InMemoryStripeRefunds
from tests.unit.test_reconcile_usecase import entry, stripe

DAY, NEXT = day_period(date(2026, 3, 14))
RAN = datetime(2026, 3, 15, 2, 30, 5, 123456, tzinfo=UTC)


def record(ran_at, start=DAY, end=NEXT, matched=1):
    summary = {kind: ClassSummary() for kind in Match} | {Match.MATCHED: ClassSummary(matched, {"USD": 100}, {})}
    return ReconciliationRecord(reconciliation_id(start, end, ran_at), ran_at, start, end, True, summary)


def every_page(log, limit):
    pages, cursor = [], None
    while True:
        page = list_reconciliations(log, limit, cursor)
        pages.append([r.reconciliation_id for r in page.records])
        if page.next is None:
            return pages
        cursor = page.next


def test_a_run_is_listed_with_its_classes_and_totals():
    ledger = InMemoryLedger(
        [
            entry(1, DAY + timedelta(hours=1), stripe_id="re_1"),
            entry(2, DAY + timedelta(hours=2), amount=400, status=RefundStatus.PENDING),
            entry(3, DAY + timedelta(hours=3), amount=900, stripe_id="re_3"),
        ]
    )
    gateway = InMemoryStripeRefunds(
        [
            stripe("re_1", DAY + timedelta(hours=1)),
            stripe("re_3", DAY + timedelta(hours=3)),
            stripe("re_dash", DAY + timedelta(hours=5), amount=250),
        ]
    )
    log = InMemoryReconciliations()
    clock = FixedClock(RAN, step=timedelta(0))
    done = run_reconciliation(
        DAY, NEXT, ledger=ledger, gateway=gateway, reports=InMemoryReports(), log=log, clock=clock
    )
    [listed] = list_reconciliations(log).records
    assert (listed.reconciliation_id, listed.ran_at, listed.day, listed.clean) == (
        done.reconciliation_id,
        RAN,
        date(2026, 3, 14),
        False,
    )
    counts = {kind: s.count for kind, s in listed.summary.items()}
    assert counts == {
        Match.MATCHED: 1,
        Match.MISSING_IN_STRIPE: 1,
        Match.MISSING_IN_WAYBILL: 1,
        Match.AMOUNT_MISMATCH: 1,
        Match.STATUS_MISMATCH: 0,
    }
    assert listed.summary == done.report.summary
    # every class added up: 3 ledger entries (1000 + 400 + 900), 3 Stripe refunds (1000 + 1000 + 250)
    assert listed.totals == ClassSummary(4, {"USD": 2300}, {"USD": 2250})


def test_newest_first_a_page_at_a_time_each_once():
    log = InMemoryReconciliations()
    # two in the same second: the microseconds order them
    times = [RAN + timedelta(minutes=m) for m in (0, 5, 3, 9)] + [RAN + timedelta(minutes=5, microseconds=7)]
    for at in times:
        log.add(record(at))
    newest_first = [r.reconciliation_id for r in sorted((record(at) for at in times), key=lambda r: r.ran_at)][::-1]
    assert every_page(log, 2) == [newest_first[:2], newest_first[2:4], newest_first[4:]]
    # a last page that is full says so: no empty page after it
    assert every_page(log, 5) == [newest_first]
    assert list_reconciliations(log, 200).next is None


def test_an_empty_log_is_an_empty_page():
    page = list_reconciliations(InMemoryReconciliations())
    assert (page.records, page.next) == ([], None)


def test_the_next_page_reads_below_the_last_position():
    log = InMemoryReconciliations()
    for minutes in range(3):
        log.add(record(RAN + timedelta(minutes=minutes)))
    first = list_reconciliations(log, 1)
    list_reconciliations(log, 1, first.next)
    assert log.asked == [(2, None), (2, first.records[0].position)]


def _b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor!",
        "e30",  # {}
        _b64(["before"]),
        _b64({"before": 7}),
        _b64({"before": "2026-03-15T02:30:05.123456Z#ord_1"}),
        _b64({"before": "2026-03-15T02:30:05Z#rec_20260315_023005_0123abcd"}),
        encode_cursor("2026-03-15T02:30:05+00:00#ord_1", True),  # the exception queue's
    ],
)
def test_a_cursor_this_listing_did_not_give_out_is_invalid(cursor):
    log = InMemoryReconciliations()
    log.add(record(RAN))
    with pytest.raises(InvalidCursor) as refused:
        list_reconciliations(log, 10, cursor)
    assert (refused.value.code, refused.value.http_status) == ("invalid_cursor", 400)
    assert log.asked == []


def test_a_period_of_several_days_names_no_day():
    assert record(RAN).day == date(2026, 3, 14)
    assert record(RAN, DAY, DAY + timedelta(days=3)).day is None
    assert record(RAN, DAY + timedelta(hours=1), NEXT + timedelta(hours=1)).day is None


@pytest.mark.parametrize("limit", [0, 201])
def test_limit_is_one_to_two_hundred(limit):
    with pytest.raises(ValueError, match="limit"):
        list_reconciliations(InMemoryReconciliations(), limit)

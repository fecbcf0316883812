"""The reconciliation use case: what it fetches around the period, what it stores, the id it gives."""

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from shared.domain.reconciliation import Match
from shared.domain.refund_ledger import LedgerEntry, RefundReason, RefundStatus, StripeRefund
from shared.usecases.reconcile import (
    InvalidPeriod,
    day_period,
    previous_day,
    reconciliation_id,
    run_reconciliation,
    stored_reconciliation,
)
from tests.unit.fakes import (
    FixedClock,
    InMemoryLedger,
    InMemoryReconciliations,
    InMemoryReports,
    InMemoryStripeRefunds,
)

DAY, NEXT = day_period(date(2026, 3, 14))
RAN = datetime(2026, 3, 15, 2, 30, 5, 123456, tzinfo=UTC)


def entry(n, at, amount=1000, status=RefundStatus.SUCCEEDED, stripe_id=None):
    return LedgerEntry(
        refund_id=f"rf_{n}",
        order_id=f"ord_{n}",
        payment_intent=f"pi_{n}",
        amount=amount,
        currency="USD",
        reason=RefundReason.RETURN,
        cause_id=f"rma_{n}",
        idempotency_key=f"k{n}",
        status=status,
        stripe_refund_id=stripe_id,
        failure_reason=None,
        created_at=at,
        settled_at=None if status is RefundStatus.PENDING else at,
    )


def stripe(sid, at, amount=1000, refund_id=None, pi=None, status="succeeded"):
    return StripeRefund(sid, pi, amount, "USD", status, at, refund_id)


def run(ledger, gateway, reports=None, start=DAY, end=NEXT, log=None):
    reports = reports or InMemoryReports()
    done = run_reconciliation(
        start,
        end,
        ledger=ledger,
        gateway=gateway,
        reports=reports,
        log=log if log is not None else InMemoryReconciliations(),
        clock=FixedClock(RAN, step=timedelta(0)),
    )
    return done, reports


def kinds(report):
    return {(row.refund_id, row.stripe_refund_id): row.kind for row in report.rows}


def test_every_class_and_the_pair_across_midnight():
    late = NEXT - timedelta(seconds=1)
    ledger = InMemoryLedger(
        [
            entry(1, DAY + timedelta(hours=1), stripe_id="re_1"),
            entry(2, DAY + timedelta(hours=2), status=RefundStatus.PENDING),
            entry(3, DAY + timedelta(hours=3), amount=900, stripe_id="re_3"),
            # recorded at 23:59:59, Stripe stamped it 00:00:02 the next day: still a pair
            entry(4, late),
            # the day before, its Stripe refund stamped just inside the period: a partner, no row
            entry(5, DAY - timedelta(seconds=2), stripe_id="re_5"),
        ]
    )
    gateway = InMemoryStripeRefunds(
        [
            stripe("re_1", DAY + timedelta(hours=1)),
            stripe("re_3", DAY + timedelta(hours=3)),
            stripe("re_4", NEXT + timedelta(seconds=2), refund_id="rf_4"),
            stripe("re_5", DAY + timedelta(seconds=1)),
            stripe("re_dash", DAY + timedelta(hours=5), amount=250, pi="pi_dash"),
            stripe("re_old", DAY - timedelta(days=2)),
        ]
    )
    done, _ = run(ledger, gateway)
    assert kinds(done.report) == {
        ("rf_1", "re_1"): Match.MATCHED,
        ("rf_2", None): Match.MISSING_IN_STRIPE,
        ("rf_3", "re_3"): Match.AMOUNT_MISMATCH,
        ("rf_4", "re_4"): Match.MATCHED,
        (None, "re_dash"): Match.MISSING_IN_WAYBILL,
    }
    assert not done.report.clean
    # both sides were fetched a little around the period
    assert ledger.listed == [(DAY - timedelta(hours=1), NEXT + timedelta(hours=1))]
    assert gateway.asked == [(DAY - timedelta(hours=1), NEXT + timedelta(hours=1))]


def test_the_report_is_stored_as_json_and_csv_under_its_id():
    ledger = InMemoryLedger([entry(1, DAY + timedelta(hours=1), status=RefundStatus.PENDING)])
    done, reports = run(ledger, InMemoryStripeRefunds())
    assert done.reconciliation_id.startswith("rec_20260315_023005_")
    assert done.json_key == f"reports/reconciliations/{done.reconciliation_id}.json"
    assert done.csv_key == f"reports/reconciliations/{done.reconciliation_id}.csv"
    body, content_type = reports.objects[done.json_key]
    assert content_type == "application/json"
    stored = json.loads(body)
    assert stored["reconciliation_id"] == done.reconciliation_id
    assert stored["period_start"] == DAY.isoformat()
    assert stored["summary"]["missing_in_stripe"]["count"] == 1
    assert stored["summary"]["missing_in_stripe"]["ledger_amounts"] == {"USD": 1000}
    assert stored["clean"] is False
    assert [r["refund_id"] for r in stored["rows"]] == ["rf_1"]
    rows = list(csv.DictReader(io.StringIO(reports.objects[done.csv_key][0].decode())))
    assert [(r["kind"], r["refund_id"]) for r in rows] == [("missing_in_stripe", "rf_1")]
    assert reports.objects[done.csv_key][1] == "text/csv"
    assert stored_reconciliation(done.reconciliation_id, reports=reports) == stored


def test_an_empty_day_is_clean_and_unknown_ids_are_none():
    done, reports = run(InMemoryLedger(), InMemoryStripeRefunds())
    assert done.report.clean
    assert done.report.rows == ()
    assert stored_reconciliation("rec_20260315_023005_00000000", reports=reports) is None
    assert stored_reconciliation("../../etc/passwd", reports=reports) is None


def test_the_id_is_deterministic_per_period_and_run_time():
    first = reconciliation_id(DAY, NEXT, RAN)
    assert first == reconciliation_id(DAY, NEXT, RAN)
    assert first != reconciliation_id(DAY, NEXT, RAN + timedelta(microseconds=1))
    assert first != reconciliation_id(DAY - timedelta(days=1), NEXT, RAN)
    assert first.startswith("rec_20260315_023005_")


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (NEXT, DAY),
        (DAY, DAY),
        (DAY, DAY + timedelta(days=31, seconds=1)),
        (DAY.replace(tzinfo=None), NEXT.replace(tzinfo=None)),
        (datetime(1999, 12, 31, tzinfo=UTC), datetime(2000, 1, 1, tzinfo=UTC)),
        (datetime(2099, 12, 31, tzinfo=UTC), datetime(2100, 1, 1, 1, tzinfo=UTC)),
    ],
)
def test_bad_periods_are_refused_before_anything_is_read(start, end):
    ledger, gateway, reports, log = (
        InMemoryLedger(),
        InMemoryStripeRefunds(),
        InMemoryReports(),
        InMemoryReconciliations(),
    )
    with pytest.raises(InvalidPeriod):
        run(ledger, gateway, reports, start, end, log)
    assert (ledger.listed, gateway.asked, reports.objects, log.records) == ([], [], {}, {})


def test_the_schedule_reconciles_the_previous_utc_day():
    assert previous_day(RAN) == (DAY, NEXT)
    assert day_period(date(2026, 3, 14)) == (datetime(2026, 3, 14, tzinfo=UTC), datetime(2026, 3, 15, tzinfo=UTC))

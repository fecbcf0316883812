"""The hourly sweep restarts refunds left PENDING, and only those old enough to be stuck."""

from datetime import UTC, datetime, timedelta

from shared.domain.refund_ledger import LedgerEntry, RefundReason, RefundStatus
from shared.usecases.sweep_refunds import sweep_pending_refunds
from tests.unit.fakes import FakeWorkflow, FixedClock, InMemoryLedger

NOW = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)


def entry(refund_id: str, age: timedelta, status: RefundStatus = RefundStatus.PENDING) -> LedgerEntry:
    return LedgerEntry(
        refund_id,
        f"ord_{refund_id}",
        "pi_1",
        500,
        "USD",
        RefundReason.CANCELLATION,
        "cancel",
        f"k-{refund_id}",
        status,
        None,
        None,
        NOW - age,
        None,
    )


def test_only_refunds_pending_past_the_grace_period_are_restarted_once_an_hour():
    ledger = InMemoryLedger(
        [
            entry("stuck", timedelta(hours=2)),
            entry("fresh", timedelta(minutes=2)),
            entry("paid", timedelta(hours=3), RefundStatus.SUCCEEDED),
        ]
    )
    refunds = FakeWorkflow()
    assert sweep_pending_refunds(ledger=ledger, refunds=refunds, clock=FixedClock(NOW, step=timedelta(0))) == ["stuck"]
    assert list(refunds.started.values()) == [{"order_id": "ord_stuck", "refund_id": "stuck"}]
    sweep_pending_refunds(
        ledger=ledger, refunds=refunds, clock=FixedClock(NOW + timedelta(minutes=10), step=timedelta(0))
    )
    assert len(refunds.started) == 1  # the same hour: the same execution name, nothing new

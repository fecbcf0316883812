"""The refund ledger on DynamoDB (moto, requests serialized like real DynamoDB): replays, the cap on
what a PaymentIntent can have refunded under concurrency, settling, and the listings."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from shared.adapters.dynamodb_ledger import DynamoDBLedger
from shared.domain.refund_ledger import (
    LedgerEntry,
    RefundAlreadySettled,
    RefundExceedsCaptured,
    RefundReason,
    RefundStatus,
    refund_key,
)

AT = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.fixture
def ledger(aws, resources):
    return DynamoDBLedger(aws("dynamodb"), resources.tables["ledger"])


@pytest.fixture
def run():
    return uuid.uuid4().hex[:8]


def pending(run, cause, amount=1000, pi=None, order=None, at=AT):
    order_id = order or f"ord_{run}"
    return LedgerEntry(
        refund_id=f"rf_{run}_{cause}",
        order_id=order_id,
        payment_intent=pi or f"pi_{run}",
        amount=amount,
        currency="USD",
        reason=RefundReason.CANCELLATION,
        cause_id=cause,
        idempotency_key=refund_key(order_id, cause),
        status=RefundStatus.PENDING,
        stripe_refund_id=None,
        failure_reason=None,
        created_at=at,
        settled_at=None,
    )


def test_open_records_the_entry_and_counts_it(ledger, run):
    entry = pending(run, "c1", amount=700)
    assert ledger.open(entry, captured=5000) == entry
    assert ledger.get(entry.refund_id) == entry
    assert ledger.find(entry.idempotency_key) == entry
    assert ledger.totals(entry.payment_intent) == (5000, 700)


def test_a_replay_returns_the_first_entry_and_adds_nothing(ledger, run):
    first = pending(run, "c1", amount=700)
    ledger.open(first, captured=5000)
    # the same cause again, even with a fresh refund id and a later time: the same entry
    again = LedgerEntry(**{**first.__dict__, "refund_id": f"rf_{run}_other", "created_at": AT + timedelta(hours=1)})
    assert ledger.open(again, captured=5000) == first
    assert ledger.totals(first.payment_intent) == (5000, 700)
    assert ledger.get(again.refund_id) is None
    assert ledger.list(order_id=first.order_id) == [first]


def test_a_refund_above_what_is_left_is_refused_and_writes_nothing(ledger, run):
    ledger.open(pending(run, "c1", amount=600), captured=1000)
    too_much = pending(run, "c2", amount=401)
    with pytest.raises(RefundExceedsCaptured) as caught:
        ledger.open(too_much, captured=1000)
    assert caught.value.code == "refund_exceeds_captured"
    assert ledger.get(too_much.refund_id) is None
    assert ledger.find(too_much.idempotency_key) is None
    assert ledger.totals(too_much.payment_intent) == (1000, 600)
    assert ledger.open(pending(run, "c3", amount=400), captured=1000).amount == 400  # exactly up to the cap
    assert ledger.totals(too_much.payment_intent) == (1000, 1000)


def test_concurrent_refunds_never_exceed_what_was_captured(ledger, run):
    entries = [pending(run, f"c{i:02d}", amount=10) for i in range(20)]

    def attempt(entry):
        try:
            ledger.open(entry, captured=100)
        except RefundExceedsCaptured:
            return False
        return True

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(attempt, entries))
    assert sum(outcomes) == 10
    assert ledger.totals(f"pi_{run}") == (100, 100)
    recorded = ledger.list(order_id=f"ord_{run}")
    assert sorted(e.refund_id for e in recorded) == sorted(
        e.refund_id for e, ok in zip(entries, outcomes, strict=True) if ok
    )


def test_settling_succeeded_records_the_stripe_refund_and_is_a_no_op_when_repeated(ledger, run):
    entry = ledger.open(pending(run, "c1"), captured=1000)
    settled = ledger.settle(entry.refund_id, RefundStatus.SUCCEEDED, f"re_{run}", None, AT + timedelta(minutes=1))
    assert (settled.status, settled.stripe_refund_id, settled.settled_at) == (
        RefundStatus.SUCCEEDED,
        f"re_{run}",
        AT + timedelta(minutes=1),
    )
    # the webhook settles it again later: nothing changes
    again = ledger.settle(entry.refund_id, RefundStatus.SUCCEEDED, f"re_{run}", None, AT + timedelta(minutes=5))
    assert again == settled
    assert ledger.by_stripe_refund(f"re_{run}") == settled
    assert ledger.list(order_id=entry.order_id) == [settled]
    assert ledger.totals(entry.payment_intent) == (1000, 1000)
    with pytest.raises(RefundAlreadySettled):
        ledger.settle(entry.refund_id, RefundStatus.FAILED, None, "too late", AT)


def test_a_failed_refund_gives_its_amount_back_once(ledger, run):
    entry = ledger.open(pending(run, "c1", amount=1000), captured=1000)
    with pytest.raises(RefundExceedsCaptured):
        ledger.open(pending(run, "c2", amount=1000), captured=1000)
    failed = ledger.settle(entry.refund_id, RefundStatus.FAILED, None, "charge_disputed", AT)
    assert (failed.status, failed.failure_reason) == (RefundStatus.FAILED, "charge_disputed")
    ledger.settle(entry.refund_id, RefundStatus.FAILED, None, "charge_disputed", AT)  # replay: no second give-back
    assert ledger.totals(entry.payment_intent) == (1000, 0)
    # retried under a new cause, it fits again
    assert ledger.open(pending(run, "c2", amount=1000), captured=1000).status is RefundStatus.PENDING
    assert ledger.totals(entry.payment_intent) == (1000, 1000)


def test_listing_by_order_time_range_and_status(ledger, run):
    other = f"ord_{run}_b"
    a = ledger.open(pending(run, "a", at=AT), captured=10_000)
    b = ledger.open(pending(run, "b", at=AT + timedelta(days=1)), captured=10_000)
    c = ledger.open(pending(run, "c", at=AT + timedelta(days=2), order=other, pi=f"pi_{run}_b"), captured=10_000)
    b = ledger.settle(b.refund_id, RefundStatus.SUCCEEDED, f"re_{run}_b", None, AT + timedelta(days=1))

    assert ledger.list(order_id=f"ord_{run}") == [a, b]
    assert ledger.list(order_id=f"ord_{run}", status=RefundStatus.PENDING) == [a]
    assert ledger.list(order_id=other) == [c]

    # other tests share the table: keep to this run's entries
    def ours(entries):
        return [e for e in entries if e.refund_id.startswith(f"rf_{run}_")]

    three_days = ledger.list(since=AT, until=AT + timedelta(days=3))
    assert ours(three_days) == [a, b, c]
    assert ours(ledger.list(since=AT + timedelta(seconds=1), until=AT + timedelta(days=2))) == [b]  # [since, until)
    assert ours(ledger.list(since=AT, until=AT + timedelta(days=3), status=RefundStatus.SUCCEEDED)) == [b]
    assert ours(ledger.list(status=RefundStatus.PENDING)) == [a, c]
    with pytest.raises(ValueError, match="needs"):
        ledger.list(status=RefundStatus.SUCCEEDED)


def test_unknown_refunds(ledger, run):
    assert ledger.get(f"rf_{run}_none") is None
    assert ledger.by_stripe_refund(f"re_{run}_none") is None
    assert ledger.totals(f"pi_{run}_none") == (0, 0)


def test_a_refund_owed_is_recorded_once_and_discharged_by_opening_its_entry(ledger, run):
    order_id = f"ord_{run}"
    ledger.owe(order_id, "cancel", AT)
    ledger.owe(order_id, "cancel", AT + timedelta(minutes=5))  # again: the first record stays
    mine = [o for o in ledger.owed() if o.order_id == order_id]
    assert [(o.cause_id, o.since) for o in mine] == [("cancel", AT)]
    ledger.open(pending(run, "cancel"), captured=5000)
    assert [o for o in ledger.owed() if o.order_id == order_id] == []
    ledger.owe(order_id, "other", AT)
    ledger.discharge(order_id, "other")
    assert [o for o in ledger.owed() if o.order_id == order_id] == []

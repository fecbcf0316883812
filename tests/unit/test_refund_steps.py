"""The refunds state machine's payment step: a refund that ends FAILED is an error its catch records
(the machine has no Choice state on the answer). Use cases against in-memory ports."""

import pytest

from shared.domain.refund_ledger import RefundReason, RefundRejected, RefundStatus
from shared.domain.refund_policy import RefundAmount
from shared.usecases.refunds import open_refund, pay_refund_step
from tests.unit.fakes import FixedClock, InMemoryLedger, InMemoryStripeRefunds
from tests.unit.test_order_lifecycle import new_order


def opened(ledger, clock):
    order = new_order()
    entry = open_refund(
        order, RefundAmount(1000, 0, 0), RefundReason.CANCELLATION, "cancel", ledger=ledger, clock=clock, captured=1000
    )
    assert entry is not None
    return entry, order


def test_a_paid_refund_is_answered_with_its_settled_entry():
    ledger, clock, stripe = InMemoryLedger(), FixedClock(), InMemoryStripeRefunds()
    entry, _ = opened(ledger, clock)
    paid = pay_refund_step(entry.refund_id, ledger=ledger, gateway=stripe, clock=clock)
    assert (paid.status, paid.stripe_refund_id) == (RefundStatus.SUCCEEDED, "re_0001")


def test_a_refund_still_pending_at_stripe_is_answered_not_raised():
    ledger, clock, stripe = InMemoryLedger(), FixedClock(), InMemoryStripeRefunds(status="pending")
    entry, _ = opened(ledger, clock)
    assert pay_refund_step(entry.refund_id, ledger=ledger, gateway=stripe, clock=clock).status == RefundStatus.PENDING


@pytest.mark.parametrize("stripe_status", ["failed", "canceled"])
def test_a_refund_stripe_fails_raises_refund_rejected_with_its_reason_after_settling(stripe_status):
    ledger, clock, stripe = InMemoryLedger(), FixedClock(), InMemoryStripeRefunds(status=stripe_status)
    entry, _ = opened(ledger, clock)
    with pytest.raises(RefundRejected, match=stripe_status):
        pay_refund_step(entry.refund_id, ledger=ledger, gateway=stripe, clock=clock)
    settled = ledger.get(entry.refund_id)
    assert settled is not None
    assert settled.status == RefundStatus.FAILED
    # a retried step finds the entry settled and raises again: the catch records it once more, harmlessly
    with pytest.raises(RefundRejected):
        pay_refund_step(entry.refund_id, ledger=ledger, gateway=stripe, clock=clock)
    assert len(stripe.refunds) == 1

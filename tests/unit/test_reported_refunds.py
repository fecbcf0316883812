"""Refunds Stripe reports (its webhooks) settle the ledger: read by the adapter, applied by the use case."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from shared.adapters.stripe_refunds import refunds_in_event
from shared.domain.exceptions import ExceptionType
from shared.domain.refund_ledger import RefundStatus
from shared.usecases.stripe_events import settle_reported_refunds
from tests.unit.fakes import FixedClock, InMemoryLedger, InMemoryOrders
from tests.unit.test_shipments import order
from tests.unit.test_stock_usecases import entry

AT = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def refund_json(rid: str, status: str, refund_id: str | None) -> dict[str, object]:
    return {
        "id": rid,
        "object": "refund",
        "payment_intent": "pi_9",
        "amount": 700,
        "currency": "usd",
        "status": status,
        "created": int(AT.timestamp()),
        "metadata": {"refund_id": refund_id} if refund_id else {},
    }


def test_a_refund_event_and_a_charge_event_carry_their_refunds() -> None:
    one = refunds_in_event({"type": "refund.updated", "data": {"object": refund_json("re_1", "succeeded", "rf_1")}})
    assert [(r.id, r.currency, r.metadata_refund_id) for r in one] == [("re_1", "USD", "rf_1")]
    charge = {
        "object": "charge",
        "refunds": {"data": [refund_json("re_2", "failed", None), refund_json("re_3", "pending", None)]},
    }
    assert [r.id for r in refunds_in_event({"type": "charge.refunded", "data": {"object": charge}})] == ["re_2", "re_3"]
    assert refunds_in_event({"type": "payment_intent.created", "data": {"object": {}}}) == []


def test_reported_refunds_settle_their_entries_once_and_ignore_strangers() -> None:
    ledger, clock = InMemoryLedger(), FixedClock()
    ledger.open(entry("rf_1"), captured=1000)
    ledger.open(entry("rf_2", payment_intent="pi_8"), captured=1000)
    event = {
        "type": "charge.refunded",
        "data": {
            "object": {
                "refunds": {
                    "data": [
                        refund_json("re_1", "succeeded", "rf_1"),
                        refund_json("re_2", "pending", "rf_2"),
                        refund_json("re_x", "succeeded", None),  # made in the Stripe dashboard
                    ]
                }
            }
        },
    }
    outcome = settle_reported_refunds(refunds_in_event(event), ledger=ledger, orders=InMemoryOrders(), clock=clock)
    assert outcome == {"settled": 1, "pending": 1, "unknown": 1}
    settled = ledger.get("rf_1")
    assert settled is not None
    assert (settled.status, settled.stripe_refund_id) == (RefundStatus.SUCCEEDED, "re_1")
    assert ledger.get("rf_2").status == RefundStatus.PENDING  # type: ignore[union-attr]
    # the same event again changes nothing
    again = settle_reported_refunds(refunds_in_event(event), ledger=ledger, orders=InMemoryOrders(), clock=clock)
    assert again == {"unchanged": 1, "pending": 1, "unknown": 1}


def test_a_refund_stripe_reports_failed_is_a_refund_failed_exception_on_its_order() -> None:
    # It was a FAILED ledger entry only: visible to finance, nothing on the order for operations.
    ledger, clock, orders = InMemoryLedger(), FixedClock(), InMemoryOrders()
    placed = order()
    orders.add(placed, "h")
    ledger.open(replace(entry("rf_1"), order_id=placed.order_id), captured=1000)
    event = {"type": "refund.failed", "data": {"object": refund_json("re_1", "failed", "rf_1")}}
    for _ in range(2):  # Stripe delivers an event more than once
        settle_reported_refunds(refunds_in_event(event), ledger=ledger, orders=orders, clock=clock)
    assert ledger.get("rf_1").status == RefundStatus.FAILED  # type: ignore[union-attr]
    after = orders.get(placed.order_id)
    assert after is not None
    [failed] = [e for e in after.exceptions if e.type == ExceptionType.REFUND_FAILED]
    assert (failed.subject, failed.open) == ("rf_1", True)
    assert "Stripe reported the refund failed" in failed.reason

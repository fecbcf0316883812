"""The soak's invariants find what they are for: a refund short, a unit lost, an email sent twice."""

from collections import Counter
from typing import Any

from tests.conservation import labels_twice, money_problems, owed, sent_twice, stock_drift


def view(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "order_id": "ord_1",
        "lines": [{"line_id": "L1", "unit_amount": 700}, {"line_id": "L2", "unit_amount": 1300}],
        "totals": {"shipping": 500},
        "cancellation": None,
        "returns": [],
        "shipments": [],
        "refunds": [],
    }
    return {**base, **changes}


def shipment(status: str, node: str = "dc", **lines: int) -> dict[str, Any]:
    return {
        "shipment_id": f"ord_1-S{len(lines)}",
        "node_id": node,
        "status": status,
        "lines": [{"line_id": lid, "sku": f"SKU-{lid}", "quantity": n} for lid, n in lines.items()],
        "label": None,
    }


def refund(amount: int, status: str = "SUCCEEDED") -> dict[str, Any]:
    return {"amount": amount, "status": status}


CANCELLED_WHOLE = {"lines": [{"line_id": "L1", "quantity": 2}, {"line_id": "L2", "quantity": 1}]}


def test_cancelling_everything_before_it_left_owes_the_units_and_the_shipping() -> None:
    cancelled = view(cancellation=CANCELLED_WHOLE, shipments=[shipment("CANCELLED", L1=2, L2=1)])
    assert owed(cancelled) == 2 * 700 + 1300 + 500
    assert money_problems({**cancelled, "refunds": [refund(3200)]}, captured=3200, at_stripe=3200) == []


def test_a_refund_short_of_what_is_owed_or_missing_at_stripe_is_a_problem() -> None:
    cancelled = view(cancellation=CANCELLED_WHOLE)
    [short] = money_problems({**cancelled, "refunds": [refund(2700)]}, captured=3200, at_stripe=2700)
    assert "owed 3200" in short
    not_paid = money_problems({**cancelled, "refunds": [refund(3200)]}, captured=3200, at_stripe=0)
    assert any("Stripe refunded 0" in p for p in not_paid)
    too_much = money_problems({**cancelled, "refunds": [refund(3200)]}, captured=3000, at_stripe=3200)
    assert any("of 3000 captured" in p for p in too_much)


def test_a_pending_or_failed_refund_still_counts_as_recorded() -> None:
    cancelled = view(cancellation=CANCELLED_WHOLE, refunds=[refund(3000), refund(200, "FAILED")])
    assert money_problems(cancelled, captured=3200, at_stripe=3000) == []


def test_a_partial_return_owes_its_units_but_not_the_shipping() -> None:
    rma = {"node_id": "dc", "lines": [{"line_id": "L1", "sku": "SKU-L1", "resellable": 1, "damaged": 0}]}
    partial = view(shipments=[shipment("DELIVERED", L1=2, L2=1)], returns=[rma, rma])
    assert owed(partial) == 2 * 700
    everything = {**rma, "lines": [*rma["lines"], {"line_id": "L2", "sku": "SKU-L2", "resellable": 0, "damaged": 1}]}
    whole = view(shipments=[shipment("DELIVERED", L1=2, L2=1)], returns=[everything, rma])
    assert owed(whole) == 2 * 700 + 1300 + 500


def test_stock_drift_finds_a_lost_unit_a_leaked_reservation_and_overselling() -> None:
    views = [view(shipments=[shipment("DELIVERED", L1=2), shipment("PICKED", L2=1)])]
    stocked = Counter({("SKU-L1", "dc"): 10, ("SKU-L2", "dc"): 5})
    right = {
        "SKU-L1": [{"node_id": "dc", "on_hand": 8, "reserved": 0, "available": 8}],
        "SKU-L2": [{"node_id": "dc", "on_hand": 5, "reserved": 1, "available": 4}],
    }
    assert stock_drift(views, stocked, right) == []
    wrong = {
        "SKU-L1": [{"node_id": "dc", "on_hand": 9, "reserved": 0, "available": 9}],
        "SKU-L2": [{"node_id": "dc", "on_hand": 5, "reserved": 2, "available": -1}],
    }
    drift = stock_drift(views, stocked, wrong)
    assert len(drift) == 3, drift


def test_a_tracking_number_or_an_email_twice_is_found() -> None:
    labelled = shipment("DELIVERED", L1=1) | {"label": {"tracking_number": "1Z1"}}
    assert labels_twice([view(shipments=[labelled]), view(shipments=[labelled])]) == ["1Z1"]
    mail = ("ada@example.com", "Your order SOAK-1 has shipped", "tracking 1Z1")
    assert sent_twice([mail, ("ada@example.com", "Your order SOAK-1 has shipped", "tracking 1Z2")]) == []
    assert sent_twice([mail, mail]) == [mail[1]]

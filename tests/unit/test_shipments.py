"""Shipments: the event edges, and how an order's status follows its shipments."""

from datetime import UTC, datetime

import pytest

from shared.domain.order import Customer, Delivery, OrderStatus, place
from shared.domain.routing import Allocation, RoutingDecision
from shared.domain.shipment import EventRefused, EventType, ShipmentEvent, ShipmentStatus
from shared.domain.shipping import Parcel
from shared.domain.values import Address

AT = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
PARCEL = Parcel(900, 30, 20, 10)


def order(method="ship", allocations=(("dc-a", "L1", "SKU-1", 2), ("dc-b", "L2", "SKU-2", 1))):
    o = place(
        order_id="ord_1",
        channel="web",
        external_id="W-1",
        currency="USD",
        customer=Customer("ada@example.com", "Ada"),
        ship_to=Address("Ada", "1 Main", "Austin", "TX", "73301", "US"),
        lines=[("SKU-1", 2, 500), ("SKU-2", 1, 700)],
        shipping_amount=0,
        tax_amount=0,
        payment_intent="pi_1",
        delivery=Delivery(method, "standard", "store-1" if method == "pickup" else None),
        at=AT,
    )
    decision = RoutingDecision("allocated", tuple(Allocation(*a) for a in allocations), (), (), 2, "test")
    o.apply_routing(decision, 100, AT)
    return o


def ev(kind, n=None, **extra):
    return ShipmentEvent(n or f"e-{kind}", EventType(kind), AT, **extra)


def walk(o, sid, *kinds):
    for kind in kinds:
        o.shipment_event(sid, ev(kind, f"{sid}-{kind}", parcel=PARCEL if kind == "packed" else None), AT)


def test_release_makes_one_shipment_per_node_once():
    o = order()
    shipments = o.release(AT)
    assert [(s.shipment_id, s.node_id, [li.line_id for li in s.lines]) for s in shipments] == [
        ("ord_1-S1", "dc-a", ["L1"]),
        ("ord_1-S2", "dc-b", ["L2"]),
    ]
    assert o.status == OrderStatus.RELEASED
    assert o.release(AT) == shipments  # a retried release changes nothing
    assert len(o.shipments) == 2


def test_warehouse_steps_apply_in_order_and_a_redelivery_is_recognised():
    o = order()
    o.release(AT)
    s = o.shipment("ord_1-S1")
    with pytest.raises(EventRefused) as skipped:
        o.shipment_event("ord_1-S1", ev("picked"), AT)
    assert skipped.value.code == "out_of_order"
    assert o.shipment_event("ord_1-S1", ev("accepted", "x1"), AT) is True
    assert o.shipment_event("ord_1-S1", ev("accepted", "x1"), AT) is False  # same id: a redelivery
    with pytest.raises(EventRefused) as stale:
        o.shipment_event("ord_1-S1", ev("accepted", "x2"), AT)
    assert stale.value.code == "stale_event"
    o.shipment_event("ord_1-S1", ev("picked"), AT)
    with pytest.raises(EventRefused) as bare:
        o.shipment_event("ord_1-S1", ev("packed"), AT)
    assert bare.value.code == "missing_parcel"
    o.shipment_event("ord_1-S1", ev("packed", parcel=PARCEL), AT)
    assert (s.status, s.parcel) == (ShipmentStatus.PACKED, PARCEL)


def test_carrier_and_pickup_events_only_fit_their_kind_of_shipment():
    o = order(method="pickup", allocations=(("store-1", "L1", "SKU-1", 2), ("store-1", "L2", "SKU-2", 1)))
    [s] = o.release(AT)
    walk(o, s.shipment_id, "accepted", "picked", "packed")
    with pytest.raises(EventRefused) as carrier:
        o.shipment_event(s.shipment_id, ev("in_transit"), AT)
    assert carrier.value.code == "wrong_event"
    with pytest.raises(EventRefused):
        o.shipment_event(s.shipment_id, ev("collected"), AT)  # not ready for pickup yet
    o.hand_over(s.shipment_id, AT)
    assert o.status == OrderStatus.SHIPPED
    o.shipment_event(s.shipment_id, ev("collected"), AT)
    assert o.status == OrderStatus.DELIVERED


def test_a_split_order_is_partially_shipped_then_shipped_then_delivered():
    o = order()
    o.release(AT)
    for sid in ("ord_1-S1", "ord_1-S2"):
        walk(o, sid, "accepted", "picked", "packed")
    o.shipment("ord_1-S1").labelled(_label("1"))
    o.hand_over("ord_1-S1", AT)
    assert o.status == OrderStatus.PARTIALLY_SHIPPED
    walk(o, "ord_1-S1", "in_transit", "delivered")
    assert o.status == OrderStatus.PARTIALLY_SHIPPED  # one line delivered, the other not even shipped
    o.shipment("ord_1-S2").labelled(_label("2"))
    o.hand_over("ord_1-S2", AT)
    assert o.status == OrderStatus.SHIPPED
    walk(o, "ord_1-S2", "delivery_exception")
    assert o.shipment("ord_1-S2").delivery_exception
    walk(o, "ord_1-S2", "delivered")
    assert o.status == OrderStatus.DELIVERED
    assert o.shipment("ord_1-S2").delivery_exception is None
    moves = [h.status for h in o.history if h.event in ("partially_shipped", "shipped", "delivered")]
    assert moves == [OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.DELIVERED]


def test_a_rejected_shipment_is_replaced_once_and_a_failed_order_closes_what_is_still_at_its_nodes():
    o = order()
    o.release(AT)
    walk(o, "ord_1-S1", "rejected")
    new = o.reroute("ord_1-S1", "dc-c", AT)
    assert (new.shipment_id, new.node_id, new.replaces) == ("ord_1-S3", "dc-c", "ord_1-S1")
    assert o.reroute("ord_1-S1", "dc-d", AT) is new  # a retried re-route
    closed = o.fail("States.Timeout", AT)
    assert [s.shipment_id for s in closed] == ["ord_1-S2", "ord_1-S3"]
    with pytest.raises(EventRefused) as refused:
        walk(o, "ord_1-S2", "accepted")
    assert refused.value.code == "shipment_closed"
    assert o.status == OrderStatus.EXCEPTION
    assert o.shipment("ord_1-S2").status == ShipmentStatus.CANCELLED


def _label(n):
    from shared.domain.shipping import Label

    return Label("sandbox", "ground", f"1Z-{n}", "https://track", 995, "USD", f"labels/{n}.pdf")


def test_cancelling_takes_back_what_has_not_left_once():
    o = order()
    o.release(AT)
    walk(o, "ord_1-S1", "accepted", "picked", "packed")
    o.shipment("ord_1-S1").labelled(_label("1"))
    o.hand_over("ord_1-S1", AT)
    first = o.cancel("changed mind", "channel:web", AT)
    assert (first.lines, first.shipments, first.whole) == ((("L2", 1),), ("ord_1-S2",), False)
    assert o.shipment("ord_1-S2").status == ShipmentStatus.CANCELLED
    assert o.status == OrderStatus.SHIPPED  # what is left has all left
    assert o.cancel("again", "ops:ops", AT) is first
    walk(o, "ord_1-S1", "delivered")
    assert o.status == OrderStatus.DELIVERED


def test_a_fully_shipped_order_cannot_be_cancelled_and_an_unshipped_one_is_cancelled_whole():
    from shared.domain.order import NothingToCancel

    shipped = order(allocations=(("dc-a", "L1", "SKU-1", 2), ("dc-a", "L2", "SKU-2", 1)))
    [s] = shipped.release(AT)
    walk(shipped, s.shipment_id, "accepted", "picked", "packed")
    s.labelled(_label("1"))
    shipped.hand_over(s.shipment_id, AT)
    with pytest.raises(NothingToCancel):
        shipped.cancel("too late", "channel:web", AT)
    fresh = order()
    whole = fresh.cancel("fraud", "ops:ops", AT)
    assert (whole.whole, fresh.status) == (True, OrderStatus.CANCELLED)


def test_returns_are_bounded_by_what_was_delivered_and_not_yet_asked_back():
    from shared.domain.order import ReturnRefused

    o = order(allocations=(("dc-a", "L1", "SKU-1", 2), ("dc-a", "L2", "SKU-2", 1)))
    [s] = o.release(AT)
    with pytest.raises(ReturnRefused):
        o.open_return({"L1": 1}, "early", AT)  # nothing delivered yet
    walk(o, s.shipment_id, "accepted", "picked", "packed")
    s.labelled(_label("1"))
    o.hand_over(s.shipment_id, AT)
    walk(o, s.shipment_id, "delivered")
    rma = o.open_return({"L1": 2}, "too big", AT)
    assert (rma.rma_id, rma.node_id, o.status) == ("ord_1-R1", "dc-a", OrderStatus.RETURN_REQUESTED)
    assert o.open_return({"L1": 2}, "too big", AT) is rma  # submitted twice: one RMA
    with pytest.raises(ReturnRefused) as more:
        o.open_return({"L1": 1}, "again", AT)
    assert more.value.code == "exceeds_returnable"
    assert o.receive_return(rma.rma_id, "ev-1", {"L1": (1, 1)}, "dc-a", AT) is True
    assert o.receive_return(rma.rma_id, "ev-1", {"L1": (1, 1)}, "dc-a", AT) is False  # redelivered
    o.return_refunded(rma.rma_id, 0, "rf_1", AT)
    assert o.status == OrderStatus.DELIVERED  # L2 is kept
    last = o.open_return({"L2": 1}, "no longer needed", AT)
    o.receive_return(last.rma_id, "ev-2", {"L2": (1, 0)}, "dc-a", AT)
    o.return_refunded(last.rma_id, 0, "rf_2", AT)
    assert o.status == OrderStatus.RETURNED

"""Orders that used to never finish (issue cases 3, 8-12): each ends, or waits in a typed exception
that says what a person can do. Domain and use cases against in-memory ports."""

import json
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from shared.domain.exceptions import Action, ExceptionType
from shared.domain.inventory import Reservation
from shared.domain.order import OrderStatus, ReturnRefused
from shared.domain.principal import Principal
from shared.domain.routing import Allocation, RoutingDecision
from shared.domain.shipment import EventRefused, EventType, ShipmentEvent, ShipmentStatus
from shared.domain.shipping import Label, LabelRequest, Parcel, ParcelOverLimit, ParcelRejected, RateQuote
from shared.schemas.order_view import OrderView
from shared.topology import Kind
from shared.usecases.cancel_order import cancel_order
from shared.usecases.fulfilment_events import apply_event
from shared.usecases.labels import buy_label
from shared.usecases.record_exception import record_exception
from shared.usecases.release import release_order, request_fulfilment
from shared.usecases.returns import record_return_failure, restock_and_refund
from tests.unit.fakes import (
    FakeDocuments,
    FakeInventory,
    FakeRequests,
    FakeSignals,
    FakeWorkflow,
    FixedClock,
    InMemoryLedger,
    InMemoryNodes,
    InMemoryOrders,
)
from tests.unit.test_shipments import AT, PARCEL, _label, order, walk

ROOT = Path(__file__).resolve().parents[2]
ADMIN = Principal("admin", Kind.ADMIN, "admin")


def stored(orders, order_id="ord_1"):
    return orders.get(order_id)


def ship(o, sid, n, *, deliver=True):
    walk(o, sid, "accepted", "picked", "packed")
    o.shipment(sid).labelled(_label(n))
    o.hand_over(sid, AT)
    if deliver:
        walk(o, sid, "delivered")


def with_store(o):
    orders = InMemoryOrders()
    o.captured_amount = o.totals.grand_total
    orders.add(o, "hash")
    return orders


def cancel(orders, inventory, signals=None, requests=None, refunds=None):
    return cancel_order(
        "ord_1",
        "changed mind",
        "ops:ops",
        orders=orders,
        inventory=inventory,
        workflow=FakeWorkflow(),
        refunds_workflow=refunds or FakeWorkflow(),
        signals=signals or FakeSignals(),
        requests=requests or FakeRequests(),
        ledger=InMemoryLedger(),
        clock=FixedClock(),
    )


# --- 8: a failed step always leaves a visible, typed exception --------------------------------------


def delivered_with_return(quantity=3):
    o = order(allocations=(("dc-a", "L1", "SKU-1", 2), ("dc-a", "L2", "SKU-2", 1)))
    o.lines = (replace(o.lines[0], quantity=quantity), o.lines[1])
    o.routing = replace(o.routing, allocations=(Allocation("dc-a", "L1", "SKU-1", quantity), o.routing.allocations[1]))
    [s] = o.release(AT)
    ship(o, s.shipment_id, "1")
    rma = o.open_return({"L1": quantity}, "too big", AT)
    return o, rma


def test_a_failed_return_step_leaves_a_return_failed_exception_shown_on_the_order():
    o, rma = delivered_with_return()
    orders = with_store(o)
    o = stored(orders)
    o.receive_return(rma.rma_id, "ev-1", {"L1": (3, 0)}, "dc-a", AT)
    orders.save(o)
    record_return_failure(rma.rma_id, "States.TaskFailed: ledger unavailable", orders=orders, clock=FixedClock())
    record_return_failure(rma.rma_id, "States.TaskFailed: ledger unavailable", orders=orders, clock=FixedClock())
    after = stored(orders)
    [failed] = after.open_exceptions
    assert (failed.type, failed.subject, failed.reason) == (
        ExceptionType.RETURN_FAILED,
        rma.rma_id,
        "States.TaskFailed: ledger unavailable",
    )
    assert {Action.RETRY, Action.CLOSE_RETURN} <= set(failed.actions)
    view = OrderView.of(after).model_dump(mode="json")
    assert view["exceptions"][0]["type"] == "return_failed"
    assert view["exceptions"][0]["actions"] == ["retry", "close_return", "refund_manually"]
    assert [h.event for h in after.history].count("return_failed") == 1
    # the retried step then settles the return and resolves the exception
    settle(ReturnWorld(orders, FakeInventory(), InMemoryLedger(), FakeWorkflow()), rma.rma_id)
    assert stored(orders).open_exceptions == []
    assert stored(orders).status == OrderStatus.DELIVERED  # L2 is kept


def test_every_step_of_the_returns_machine_ends_in_the_typed_exception_when_it_fails():
    asl = json.loads((ROOT / "statemachines/returns.asl.json").read_text())
    states = asl["States"]
    for name, state in states.items():
        if state["Type"] == "Task" and name != "RecordReturnFailure":
            catches = {c["Next"] for c in state.get("Catch", []) if "States.ALL" in c["ErrorEquals"]}
            assert catches == {"RecordReturnFailure"}, name
    recorder = states["RecordReturnFailure"]
    assert recorder["Parameters"]["Payload"]["rma_id.$"] == "$.rma_id"
    assert recorder["Next"] == "ReturnFailed"


def test_holds_and_fulfilment_failures_are_typed():
    o = order()
    o.status, o.routing = OrderStatus.RECEIVED, None  # before routing: the payment check holds it
    o.hold_for_payment("payment covers 1", AT)
    assert [e.type for e in o.open_exceptions] == [ExceptionType.PAYMENT_HOLD]
    o.cancel("fraud", "ops:ops", AT)
    assert o.open_exceptions == []  # cancelling answers the hold
    orders = with_store(order())
    release_order("ord_1", orders=orders, clock=FixedClock())
    record_exception(
        "ord_1",
        "CarrierUnavailable: down (shipment ord_1-S1)",
        orders=orders,
        inventory=FakeInventory(),
        requests=FakeRequests(),
        clock=FixedClock(),
        shipment_id="ord_1-S1",
    )
    [typed] = stored(orders).open_exceptions
    assert (typed.type, typed.subject) == (ExceptionType.CARRIER_REFUSED, "ord_1-S1")


# --- 9: a pickup never collected becomes an exception that can be cancelled -------------------------


def test_a_pickup_never_collected_is_an_exception_that_cancels_back_to_stock_and_refunds():
    o = order(method="pickup", allocations=(("store-1", "L1", "SKU-1", 2), ("store-1", "L2", "SKU-2", 1)))
    [s] = o.release(AT)
    walk(o, s.shipment_id, "accepted", "picked", "packed")
    o.hand_over(s.shipment_id, AT)
    o.shipment(s.shipment_id).delivery_token = "tok-delivery"
    assert o.status == OrderStatus.SHIPPED
    orders = with_store(o)
    status = record_exception(
        "ord_1",
        "States.Timeout (shipment ord_1-S1)",
        orders=orders,
        inventory=FakeInventory(),
        requests=FakeRequests(),
        clock=FixedClock(),
        shipment_id="ord_1-S1",
    ).status
    assert status == "EXCEPTION"
    [typed] = stored(orders).open_exceptions
    assert (typed.type, typed.actions) == (ExceptionType.PICKUP_NOT_COLLECTED, (Action.CANCEL,))
    assert stored(orders).shipment("ord_1-S1").status == ShipmentStatus.READY_FOR_PICKUP  # still at the store

    inventory, signals, refunds = FakeInventory(), FakeSignals(), FakeWorkflow()
    outcome = cancel(orders, inventory, signals=signals, refunds=refunds)
    assert outcome.cancellation.whole
    assert outcome.cancellation.lines == (("L1", 2), ("L2", 1))
    assert stored(orders).status == OrderStatus.CANCELLED
    assert (inventory.on_hand_delta("store-1", "SKU-1"), inventory.on_hand_delta("store-1", "SKU-2")) == (2, 1)
    assert ("fail", "tok-delivery", ("ShipmentCancelled", "order cancelled by ops:ops")) in signals.calls
    assert "ord_1-cancel" in refunds.started
    cancel(orders, inventory)  # again: restocked once
    assert inventory.on_hand_delta("store-1", "SKU-1") == 2


def test_the_pickup_window_is_its_own_setting():
    from shared import topology

    assert int(topology.FULFILMENT_TIMEOUTS["PICKUP_TIMEOUT_S"]) == 7 * 24 * 3600
    asl = json.loads((ROOT / "statemachines/fulfilment.asl.json").read_text())
    waits = asl["States"]["HandOver"]
    assert waits["TimeoutSecondsPath"] == "$.delivery_timeout_s"
    assert waits["Catch"][0] == {"ErrorEquals": ["ShipmentCancelled"], "ResultPath": None, "Next": "ShipmentCancelled"}


# --- 10: a failed order closes its shipments; cancelling the rest finishes it -----------------------


def two_nodes_one_delivered_one_timed_out():
    o = order()  # L1 from dc-a, L2 from dc-b
    o.release(AT)
    ship(o, "ord_1-S1", "1")
    walk(o, "ord_1-S2", "accepted")
    assert o.status == OrderStatus.PARTIALLY_SHIPPED
    reservation = Reservation("ord_1", "dc-b", {"SKU-2": 1}, "reserved", "2026-11-22", True)
    return with_store(o), reservation


def test_a_failed_order_tells_the_released_nodes_and_refuses_their_events():
    orders, _ = two_nodes_one_delivered_one_timed_out()
    requests = FakeRequests()
    for _ in range(2):  # a retried compensation tells the node once
        record_exception(
            "ord_1",
            "States.Timeout (shipment ord_1-S2)",
            orders=orders,
            inventory=FakeInventory(),
            requests=requests,
            clock=FixedClock(),
            shipment_id="ord_1-S2",
        )
    assert [(node, r["type"], r["shipment_id"]) for node, r in requests.sent] == [
        ("dc-b", "fulfilment_cancelled", "ord_1-S2")
    ]
    for kind in ("picked", "packed", "accepted"):
        with pytest.raises(EventRefused) as refused:
            apply_event(
                ShipmentEvent(f"late-{kind}", EventType(kind), AT, parcel=PARCEL),
                "ord_1-S2",
                node_id="dc-b",
                tracking_number=None,
                principal=ADMIN,
                orders=orders,
                signals=FakeSignals(),
                clock=FixedClock(),
            )
        assert refused.value.code == "shipment_closed"
    assert stored(orders).shipment("ord_1-S2").status == ShipmentStatus.CANCELLED


def test_cancelling_the_rest_of_a_failed_order_delivers_what_was_delivered_and_it_is_returnable():
    orders, reservation = two_nodes_one_delivered_one_timed_out()
    record_exception(
        "ord_1",
        "States.Timeout",
        orders=orders,
        inventory=FakeInventory(),
        requests=FakeRequests(),
        clock=FixedClock(),
        shipment_id="ord_1-S2",
    )
    assert stored(orders).status == OrderStatus.EXCEPTION
    inventory = FakeInventory([reservation])
    outcome = cancel(orders, inventory)
    assert (outcome.cancellation.lines, outcome.cancellation.whole) == ((("L2", 1),), False)
    after = stored(orders)
    assert after.status == OrderStatus.DELIVERED
    assert after.open_exceptions == []
    assert after.returnable() == {"L1": 2}
    rma = after.open_return({"L1": 1}, "wrong size", AT)
    assert rma.node_id == "dc-a"


def test_a_parcel_handed_over_while_the_order_fails_has_its_units_consumed_not_released():
    """Found by the soak: S1's hand-over was recorded, its consume not yet run, when S2 timed out.
    Compensation released every reservation first, so S1 left with its units given back (on hand
    2 too high at the node). Now stock is settled from the recorded order, after it is recorded."""
    orders, s2_units = two_nodes_one_delivered_one_timed_out()
    s1_units = Reservation("ord_1", "dc-a", {"SKU-1": 2}, "reserved", "2026-11-22", True)
    inventory = FakeInventory([s1_units, s2_units])
    for _ in range(2):  # a retried compensation settles nothing twice
        done = record_exception(
            "ord_1",
            "States.Timeout (shipment ord_1-S2)",
            orders=orders,
            inventory=inventory,
            requests=FakeRequests(),
            clock=FixedClock(),
            shipment_id="ord_1-S2",
        )
        assert done.status == "EXCEPTION"
    assert {r.node_id: r.status for r in inventory.held} == {"dc-a": "consumed", "dc-b": "released"}


def test_a_live_shipment_keeps_its_units_when_compensation_runs_on_an_order_already_failed():
    o = order()
    o.release(AT)
    walk(o, "ord_1-S1", "accepted")
    o.status = OrderStatus.EXCEPTION  # an earlier failure; an ops retry put S1 back on the road
    held = Reservation("ord_1", "dc-a", {"SKU-1": 2}, "reserved", "2026-11-22", True)
    inventory = FakeInventory([held])
    done = record_exception(
        "ord_1",
        "States.Timeout",
        orders=with_store(o),
        inventory=inventory,
        requests=FakeRequests(),
        clock=FixedClock(),
    )
    assert (done.released, done.consumed, inventory.held[0].status) == (0, 0, "reserved")


def test_an_order_cancelled_between_routing_and_release_ends_its_flow_with_nothing_to_fulfil():
    """Found by the soak: the release step failed (IllegalTransition CANCELLED -> RELEASED), so an
    ordinary cancel ended in a failed execution, which alarms in AWS."""
    o = order()
    o.cancel("changed my mind", "web", AT)
    orders = with_store(o)
    assert release_order("ord_1", orders=orders, clock=FixedClock()) == []
    assert stored(orders).status == OrderStatus.CANCELLED


# --- 11: parcel over the carrier's limit; a carrier refusal returns the parcel to the node -----------


def test_a_parcel_over_the_carriers_limit_is_refused_at_the_event_with_the_limit():
    o = order()
    o.release(AT)
    walk(o, "ord_1-S1", "accepted", "picked")
    with pytest.raises(ParcelOverLimit) as heavy:
        o.shipment_event("ord_1-S1", ShipmentEvent("p1", EventType.PACKED, AT, parcel=Parcel(70_000, 40, 30, 30)), AT)
    assert "30000 g" in str(heavy.value)
    assert heavy.value.code == "parcel_over_limit"
    with pytest.raises(ParcelOverLimit) as long:
        o.shipment_event("ord_1-S1", ShipmentEvent("p2", EventType.PACKED, AT, parcel=Parcel(900, 200, 30, 30)), AT)
    assert "150 cm" in str(long.value)
    assert o.shipment("ord_1-S1").status == ShipmentStatus.PICKED  # nothing changed: the node re-packs
    o.shipment_event("ord_1-S1", ShipmentEvent("p3", EventType.PACKED, AT, parcel=PARCEL), AT)
    assert o.shipment("ord_1-S1").status == ShipmentStatus.PACKED


class RefusingCarrier:
    """Refuses the first parcel it is asked about, as a real carrier may after packing."""

    name = "sandbox"

    def __init__(self) -> None:
        self.refusals = 1

    def quote(self, request: LabelRequest) -> list[RateQuote]:
        if self.refusals:
            self.refusals -= 1
            raise ParcelRejected("the carrier will not take this parcel as packed")
        return [RateQuote("sandbox", "ground", 900, "USD", 3)]

    def buy(self, request: LabelRequest, quote: RateQuote) -> Label:
        return Label("sandbox", quote.service, "1Z9WB0X10300000017", "https://t", quote.amount, "USD", "labels/x.pdf")


def test_a_carrier_refusal_after_packing_sends_the_shipment_back_to_its_node_to_re_pack():
    o = order()
    o.release(AT)
    walk(o, "ord_1-S1", "accepted", "picked", "packed")
    orders, clock, carrier = with_store(o), FixedClock(), RefusingCarrier()
    with pytest.raises(ParcelRejected):
        buy_label("ord_1", "ord_1-S1", orders=orders, nodes=InMemoryNodes(), carrier=carrier, clock=clock)
    s = stored(orders).shipment("ord_1-S1")
    assert (s.status, s.parcel, s.repack_reason) == (
        ShipmentStatus.PICKED,
        None,
        "the carrier will not take this parcel as packed",
    )
    assert stored(orders).status == OrderStatus.RELEASED  # the order did not fail
    requests, signals = FakeRequests(), FakeSignals()
    done = request_fulfilment(
        "ord_1",
        "ord_1-S1",
        "tok-2",
        orders=orders,
        requests=requests,
        documents=FakeDocuments(),
        signals=signals,
        clock=clock,
    )
    assert done == "repack_requested"
    [(node, message)] = requests.sent
    assert (node, message["type"], message["attempt"], message["task_token"]) == (
        "dc-a",
        "repack_requested",
        1,
        "tok-2",
    )
    outcome = apply_event(
        ShipmentEvent("repacked", EventType.PACKED, AT, parcel=PARCEL),
        "ord_1-S1",
        node_id="dc-a",
        tracking_number=None,
        principal=ADMIN,
        orders=orders,
        signals=signals,
        clock=clock,
    )
    assert (outcome.shipment.status, outcome.shipment.repack_reason) == (ShipmentStatus.PACKED, None)
    assert ("succeed", "tok-2") in [(kind, token) for kind, token, _ in signals.calls]
    label = buy_label("ord_1", "ord_1-S1", orders=orders, nodes=InMemoryNodes(), carrier=carrier, clock=clock)
    assert stored(orders).shipment("ord_1-S1").label == label


# --- 12: a partly received return does not close the order ------------------------------------------


@dataclass
class ReturnWorld:
    orders: InMemoryOrders
    inventory: FakeInventory
    ledger: InMemoryLedger
    refunds: FakeWorkflow


def settle(world, rma_id, close=False):
    return restock_and_refund(
        rma_id,
        orders=world.orders,
        inventory=world.inventory,
        ledger=world.ledger,
        refunds=world.refunds,
        clock=FixedClock(),
        close=close,
    )


def returning(quantity=3):
    o, rma = delivered_with_return(quantity)
    o.lines = o.lines[:1]  # only L1, so that RETURNED is in reach
    o.routing = replace(o.routing, allocations=o.routing.allocations[:1])
    o.shipments[0].lines = o.shipments[0].lines[:1]
    return ReturnWorld(with_store(o), FakeInventory(), InMemoryLedger(), FakeWorkflow()), rma.rma_id


def receive(world, rma_id, event_id, good, bad=0):
    o = stored(world.orders)
    o.receive_return(rma_id, event_id, {"L1": (good, bad)}, "dc-a", AT)
    world.orders.save(o)


def test_a_return_received_in_part_waits_for_the_rest_and_each_part_is_refunded_once():
    world, rma_id = returning()
    receive(world, rma_id, "ev-1", 1)
    first = settle(world, rma_id)
    assert (first.outstanding, first.status, len(first.refund_ids)) == (2, "PARTIALLY_RECEIVED", 1)
    assert stored(world.orders).status == OrderStatus.RETURN_REQUESTED  # 2 units are still on their way
    assert settle(world, rma_id).refund_ids == ()  # retried: nothing settled twice
    receive(world, rma_id, "ev-2", 1, 1)
    second = settle(world, rma_id)
    assert (second.outstanding, second.status) == (0, "REFUNDED")
    assert stored(world.orders).status == OrderStatus.RETURNED
    assert world.inventory.on_hand_delta("dc-a", "SKU-1") == 2  # the damaged unit is not restocked
    amounts = [e.amount for e in world.ledger.entries]
    assert amounts == [500, 1000]  # one unit, then two (shipping and tax are 0 in this order)
    assert len(world.refunds.started) == 2
    with pytest.raises(ReturnRefused) as late:
        receive(world, rma_id, "ev-3", 1)
    assert late.value.code == "stale_event"


def test_a_return_whose_window_ends_is_closed_and_what_never_came_back_is_kept():
    world, rma_id = returning()
    receive(world, rma_id, "ev-1", 1)
    closed = settle(world, rma_id, close=True)
    assert (closed.status, closed.outstanding) == ("CLOSED", 0)
    after = stored(world.orders)
    assert after.status == OrderStatus.DELIVERED  # the customer kept 2 units
    assert after.returnable() == {"L1": 2}
    with pytest.raises(ReturnRefused):
        receive(world, rma_id, "ev-2", 1)


def test_the_returns_machine_waits_again_while_units_are_out_and_closes_when_the_window_ends():
    states = json.loads((ROOT / "statemachines/returns.asl.json").read_text())["States"]
    [more] = states["MoreToCome?"]["Choices"]
    assert (more["Variable"], more["NumericGreaterThan"], more["Next"]) == ("$.refund.outstanding", 0, "AwaitReturn")
    timeout = states["AwaitReturn"]["Catch"][0]
    assert (timeout["ErrorEquals"], timeout["Next"]) == (["States.Timeout"], "CloseReturn")
    assert states["CloseReturn"]["Parameters"]["Payload"]["close"] is True


# --- 3: cancellation works per unit ----------------------------------------------------------------


def test_a_line_split_over_nodes_cancels_the_units_that_have_not_left():
    o = order(allocations=(("dc-a", "L1", "SKU-1", 1), ("dc-b", "L1", "SKU-1", 1), ("dc-b", "L2", "SKU-2", 1)))
    o.release(AT)
    ship(o, "ord_1-S1", "1")
    orders = with_store(o)
    reservation = Reservation("ord_1", "dc-b", {"SKU-1": 1, "SKU-2": 1}, "reserved", "2026-11-22", True)
    inventory = FakeInventory([reservation])
    outcome = cancel(orders, inventory)
    assert outcome.cancellation.lines == (("L1", 1), ("L2", 1))
    assert stored(orders).status == OrderStatus.DELIVERED
    assert inventory.held[0].status == "released"

    only_l1 = order(allocations=(("dc-a", "L1", "SKU-1", 1), ("dc-b", "L1", "SKU-1", 1)))
    only_l1.lines = only_l1.lines[:1]
    only_l1.release(AT)
    ship(only_l1, "ord_1-S1", "1", deliver=False)
    cancelled = only_l1.cancel("changed mind", "channel:web", AT)  # no longer 409 already_shipped
    assert cancelled.lines == (("L1", 1),)
    assert only_l1.status == OrderStatus.SHIPPED


# --- 4: `when_unfillable: partial` leaves the remainder in an exception that cancels and refunds it --


def test_the_remainder_of_a_partial_order_is_an_exception_and_cancelling_it_refunds_it_and_finishes():
    o = order(allocations=(("dc-a", "L1", "SKU-1", 2),))
    o.lines = (replace(o.lines[0], quantity=5),)  # 5 ordered, 2 in stock
    o.status, o.routing = OrderStatus.RECEIVED, None
    partial = RoutingDecision("partial", (Allocation("dc-a", "L1", "SKU-1", 2),), (("L1", 3),), (), 1, "2 of 5")
    o.apply_routing(partial, 100, AT)
    [remainder] = o.open_exceptions
    assert (remainder.type, remainder.reason, remainder.actions) == (
        ExceptionType.UNFILLED_REMAINDER,
        "not in stock: L1 x3",
        (Action.CANCEL,),
    )
    [s] = o.release(AT)
    ship(o, s.shipment_id, "1")
    assert o.status == OrderStatus.PARTIALLY_SHIPPED  # the 3 others are not coming
    cancelled = o.cancel("not in stock", "ops:ops", AT)  # used to be 409 already_shipped
    assert cancelled.lines == (("L1", 3),)
    assert o.status == OrderStatus.DELIVERED
    assert o.open_exceptions == []


def test_a_parcel_that_arrives_while_the_last_one_is_settled_keeps_the_machine_waiting():
    world, rma_id = returning()
    receive(world, rma_id, "ev-1", 1)

    class ParcelDuringRestock(FakeInventory):
        def adjust(self, reference, body_hash, node_id, changes, at, stamp=None, kind=None):
            super().adjust(reference, body_hash, node_id, changes, at, stamp, kind)
            if len(self.adjustments) == 1:
                receive(world, rma_id, "ev-2", 2)  # the rest comes in meanwhile

    world.inventory = ParcelDuringRestock()
    first = settle(world, rma_id)
    assert (first.status, first.outstanding) == ("RECEIVED", 1)  # every unit in, one receipt to settle
    assert stored(world.orders).status == OrderStatus.RETURN_REQUESTED
    second = settle(world, rma_id)
    assert (second.status, second.outstanding, len(second.refund_ids)) == ("REFUNDED", 0, 1)
    assert stored(world.orders).status == OrderStatus.RETURNED

"""Reserve, cancel, re-route, backorder allocation and the return refund against the in-memory
ports (no moto): what each does, what it does again, and how it fails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

import pytest

from shared.domain.errors import PaymentProviderUnavailable
from shared.domain.order import Customer, Delivery, NothingToCancel, OrderStatus, PaymentCheck, place
from shared.domain.payment import PaymentIntent
from shared.domain.refund_ledger import LedgerEntry, RefundExceedsCaptured, RefundReason, RefundStatus
from shared.domain.routing import Node, Policy
from shared.domain.shipment import EventType, ShipmentEvent
from shared.domain.shipping import Parcel
from shared.domain.values import Address, GeoPoint
from shared.usecases._update import update_order
from shared.usecases.allocate_backorders import StillRouting, allocate_backorders, resume_fulfilment
from shared.usecases.cancel_order import CANCELLED_ERROR, cancel_order
from shared.usecases.hand_over import hand_over, ship
from shared.usecases.labels import buy_label
from shared.usecases.refunds import record_refund_failure
from shared.usecases.reroute import ShipmentUnroutable, reroute_shipment
from shared.usecases.reserve_order import LEASE_S, OrderBusy, reserve_order
from shared.usecases.returns import open_return, receive_return, restock_and_refund
from tests.unit.fakes import (
    FakeCarrier,
    FakePayments,
    FakeRequests,
    FakeSignals,
    FakeWorkflow,
    FixedClock,
    InMemoryInventory,
    InMemoryLedger,
    InMemoryNodes,
    InMemoryOrders,
    InMemoryPolicies,
    InMemoryStripeRefunds,
)

AT = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
EAST = Node("dc-east", "warehouse", GeoPoint(40.7, -74.0), True, False, 100, None)
WEST = Node("dc-west", "warehouse", GeoPoint(34.0, -118.2), True, False, 100, None)
PARCEL = Parcel(900, 30, 20, 10)


class World:
    def __init__(self) -> None:
        self.orders = InMemoryOrders()
        self.inventory = InMemoryInventory()
        self.shelf = self.inventory.shelf
        self.nodes = InMemoryNodes(EAST, WEST)
        self.policies = InMemoryPolicies()
        self.clock = FixedClock()
        self.workflow, self.refunds, self.returns = FakeWorkflow(), FakeWorkflow(), FakeWorkflow()
        self.signals, self.requests = FakeSignals(), FakeRequests()
        self.ledger = InMemoryLedger()
        self.n = 0

    def order(self, *lines: tuple[str, int], channel: str = "web", captured: int = 0) -> str:
        self.n += 1
        order = place(
            order_id=f"ord_{self.n}",
            channel=channel,
            external_id=f"W-{self.n}",
            currency="USD",
            customer=Customer("ada@example.com", "Ada"),
            ship_to=Address("Ada", "1 Main", "Austin", "TX", "73301", "US"),
            lines=[(sku, quantity, 1000) for sku, quantity in lines],
            shipping_amount=500,
            tax_amount=0,
            payment_intent=f"pi_{self.n}",
            delivery=Delivery("ship", "standard"),
            at=self.clock.now(),
        )
        order.payment_check = PaymentCheck.VERIFIED
        order.captured_amount = captured
        self.orders.add(order, "hash")
        return order.order_id

    def reserve(self, order_id: str):
        return reserve_order(
            order_id,
            orders=self.orders,
            inventory=self.inventory,
            nodes=self.nodes,
            policies=self.policies,
            clock=self.clock,
        )

    def level(self, sku: str, node_id: str) -> tuple[int, int, int]:
        lvl = self.shelf.level(sku, node_id)
        return (lvl.on_hand, lvl.reserved, lvl.available)

    def release(self, order_id: str) -> list[str]:
        return [s.shipment_id for s in update_order(self.orders, order_id, lambda o: o.release(self.clock.now()))]

    def event(self, order_id: str, shipment_id: str, kind: str, **extra: object) -> None:
        event = ShipmentEvent(f"{shipment_id}-{kind}", EventType(kind), AT, **extra)  # type: ignore[arg-type]
        update_order(self.orders, order_id, lambda o: o.shipment_event(shipment_id, event, self.clock.now()))

    def ship(self, order_id: str, shipment_id: str) -> None:
        for kind in ("accepted", "picked"):
            self.event(order_id, shipment_id, kind)
        self.event(order_id, shipment_id, "packed", parcel=PARCEL)
        buy_label(order_id, shipment_id, orders=self.orders, nodes=self.nodes, carrier=FakeCarrier(), clock=self.clock)
        hand_over(order_id, shipment_id, orders=self.orders, inventory=self.inventory, clock=self.clock)

    def cancel(self, order_id: str):
        return cancel_order(
            order_id,
            "changed my mind",
            "channel:web",
            orders=self.orders,
            inventory=self.inventory,
            workflow=self.workflow,
            refunds_workflow=self.refunds,
            signals=self.signals,
            requests=self.requests,
            ledger=self.ledger,
            clock=self.clock,
        )

    def reroute(self, order_id: str, shipment_id: str):
        return reroute_shipment(
            order_id,
            shipment_id,
            orders=self.orders,
            inventory=self.inventory,
            nodes=self.nodes,
            policies=self.policies,
            clock=self.clock,
        )

    def allocate(self, sku: str, resume=None):
        resume = resume or partial(
            resume_fulfilment, orders=self.orders, workflow=self.workflow, clock=self.clock, state_machine="fulfilment"
        )
        return allocate_backorders(
            sku,
            orders=self.orders,
            inventory=self.inventory,
            nodes=self.nodes,
            policies=self.policies,
            clock=self.clock,
            resume=resume,
        )


@pytest.fixture
def world() -> World:
    return World()


# --- reserve ---------------------------------------------------------------------------------------


def test_reserve_holds_the_whole_order_at_one_node(world: World) -> None:
    world.shelf.put("SKU-1", "dc-east", 10, safety_stock=2)
    world.shelf.put("SKU-2", "dc-east", 5)
    order_id = world.order(("SKU-1", 3), ("SKU-2", 1))
    outcome = world.reserve(order_id)
    assert (outcome.outcome, outcome.nodes) == ("allocated", ("dc-east",))
    assert world.orders.get(order_id).status == OrderStatus.RESERVED  # type: ignore[union-attr]
    assert world.level("SKU-1", "dc-east") == (10, 3, 5)
    assert world.level("SKU-2", "dc-east") == (5, 1, 4)
    # the step again (a retry) answers what was decided and holds nothing more
    assert world.reserve(order_id).outcome == "allocated"
    assert world.level("SKU-1", "dc-east") == (10, 3, 5)
    assert world.shelf.leases == {}


def test_reserve_backorders_what_no_node_holds_and_queues_it(world: World) -> None:
    world.shelf.put("SKU-1", "dc-east", 1)
    order_id = world.order(("SKU-1", 2))
    assert world.reserve(order_id).outcome == "backorder"
    assert world.orders.get(order_id).status == OrderStatus.BACKORDERED  # type: ignore[union-attr]
    assert world.inventory.backorders("SKU-1") == [order_id]
    assert world.level("SKU-1", "dc-east") == (1, 0, 1)


def test_reserve_that_loses_a_race_at_one_node_routes_again_to_another(world: World) -> None:
    calm = World()  # without the race, dc-west (nearer Austin) is the first choice
    for w in (world, calm):
        w.policies.put("web", Policy(strategy="distance"))
        w.shelf.put("SKU-1", "dc-west", 3)
        w.shelf.put("SKU-1", "dc-east", 2)
    assert calm.reserve(calm.order(("SKU-1", 2))).nodes == ("dc-west",)
    order_id = world.order(("SKU-1", 2))
    taken: list[str] = []

    def concurrent_order() -> None:  # between routing's read and the write, another order takes dc-west
        if not taken:
            taken.append("ord_other")
            assert world.inventory.reserve("ord_other", "dc-west", {"SKU-1": 3}, "2026-11-22", None)

    world.shelf.before_reserve.append(concurrent_order)
    outcome = world.reserve(order_id)
    assert (outcome.outcome, outcome.nodes) == ("allocated", ("dc-east",))
    assert [(r.node_id, r.status) for r in world.inventory.reservations(order_id)] == [("dc-east", "reserved")]
    assert world.level("SKU-1", "dc-west") == (3, 3, 0)
    assert world.level("SKU-1", "dc-east") == (2, 2, 0)


def test_reserve_refuses_while_another_attempt_holds_the_lease(world: World) -> None:
    world.shelf.put("SKU-1", "dc-east", 5)
    order_id = world.order(("SKU-1", 1))
    assert world.inventory.claim(order_id, "someone-else", world.clock.now().timestamp(), LEASE_S)
    with pytest.raises(OrderBusy):
        world.reserve(order_id)
    assert world.level("SKU-1", "dc-east") == (5, 0, 5)
    assert world.orders.get(order_id).status == OrderStatus.RECEIVED  # type: ignore[union-attr]


def test_an_attempt_that_stalled_past_its_lease_stops_when_another_took_the_order_over(world: World) -> None:
    # Seen under load on the embedded stack: 200 orders for 50 units released 51. An attempt ran past
    # its lease, a retry took the order over and released the stalled attempt's units, then both
    # recorded the order: it was RESERVED holding nothing, and its units went to another order.
    world.shelf.put("SKU-1", "dc-east", 5)
    order_id = world.order(("SKU-1", 1))

    def stall_then_taken_over() -> None:
        world.clock.at += timedelta(seconds=LEASE_S + 1)
        assert world.inventory.claim(order_id, "the-retry", world.clock.now().timestamp(), LEASE_S)

    world.shelf.before_reserve.append(stall_then_taken_over)  # the stall: its reservation's write
    with pytest.raises(OrderBusy):
        world.reserve(order_id)
    # it recorded nothing on the order and left the retry's lease alone
    assert world.orders.get(order_id).status == OrderStatus.RECEIVED  # type: ignore[union-attr]
    assert world.shelf.leases[order_id][0] == "the-retry"
    world.shelf.before_reserve.clear()
    world.inventory.unclaim(order_id, "the-retry")  # the retry's own attempt runs
    assert world.reserve(order_id).outcome == "allocated"
    assert world.level("SKU-1", "dc-east") == (5, 1, 4)  # the order holds its one unit, once


def test_a_slow_attempt_that_kept_its_lease_reserves(world: World) -> None:
    world.shelf.put("SKU-1", "dc-east", 5)
    order_id = world.order(("SKU-1", 1))
    world.shelf.before_reserve.append(lambda: setattr(world.clock, "at", world.clock.at + timedelta(seconds=45)))
    assert world.reserve(order_id).outcome == "allocated"  # nobody took over: it extended its lease
    assert world.level("SKU-1", "dc-east") == (5, 1, 4)


def test_reserve_after_an_attempt_died_midway_holds_exactly_the_order(world: World) -> None:
    world.shelf.put("SKU-1", "dc-west", 5)
    order_id = world.order(("SKU-1", 2))
    # the dead attempt reserved at a node, then died before recording anything on the order
    assert world.inventory.reserve(order_id, "dc-west", {"SKU-1": 2}, "2026-11-22", None)
    assert world.reserve(order_id).outcome == "allocated"
    assert world.level("SKU-1", "dc-west") == (5, 2, 3)


# --- cancel ------------------------------------------------------------------------------------------


def test_cancelling_a_released_order_gives_everything_back_once(world: World) -> None:
    world.shelf.put("SKU-1", "dc-east", 5)
    order_id = world.order(("SKU-1", 2))
    world.reserve(order_id)
    (shipment_id,) = world.release(order_id)
    outcome = world.cancel(order_id)
    assert outcome.cancellation.whole
    assert outcome.cancellation.shipments == (shipment_id,)
    assert world.orders.get(order_id).status == OrderStatus.CANCELLED  # type: ignore[union-attr]
    assert world.level("SKU-1", "dc-east") == (5, 0, 5)
    assert [(node, r["type"]) for node, r in world.requests.sent] == [("dc-east", "fulfilment_cancelled")]
    assert list(world.refunds.started) == [f"{order_id}-cancel"]
    # again: the same cancellation, nothing released twice, one refund
    again = world.cancel(order_id)
    assert again.cancellation == outcome.cancellation
    assert world.level("SKU-1", "dc-east") == (5, 0, 5)
    assert list(world.refunds.started) == [f"{order_id}-cancel"]


def test_cancelling_after_one_shipment_left_takes_back_only_the_other(world: World) -> None:
    world.policies.put("web", Policy(allow_split=True))
    world.shelf.put("SKU-1", "dc-east", 5)
    world.shelf.put("SKU-2", "dc-west", 5)
    order_id = world.order(("SKU-1", 2), ("SKU-2", 1))
    assert world.reserve(order_id).outcome == "allocated"
    east, west = sorted(world.release(order_id), key=lambda s: world.orders.get(order_id).shipment(s).node_id)  # type: ignore[union-attr]
    update_order(world.orders, order_id, lambda o: setattr(o.shipment(west), "request_token", "tok-west"))
    world.ship(order_id, east)
    outcome = world.cancel(order_id)
    assert not outcome.cancellation.whole
    assert outcome.cancellation.shipments == (west,)
    order = world.orders.get(order_id)
    assert order is not None
    assert order.status == OrderStatus.SHIPPED  # what is left has all gone
    assert world.level("SKU-1", "dc-east") == (3, 0, 3)  # consumed as it left
    assert world.level("SKU-2", "dc-west") == (5, 0, 5)  # given back
    assert ("fail", "tok-west", (CANCELLED_ERROR, "order cancelled by channel:web")) in world.signals.calls
    assert not getattr(world.workflow, "stopped", [])  # the flow carries on for what shipped


def test_cancelling_a_fully_shipped_order_is_refused_and_changes_nothing(world: World) -> None:
    world.shelf.put("SKU-1", "dc-east", 5)
    order_id = world.order(("SKU-1", 2))
    world.reserve(order_id)
    (shipment_id,) = world.release(order_id)
    world.ship(order_id, shipment_id)
    with pytest.raises(NothingToCancel):
        world.cancel(order_id)
    assert world.level("SKU-1", "dc-east") == (3, 0, 3)
    assert world.refunds.started == {}


# --- re-route ------------------------------------------------------------------------------------------


def test_a_rejected_shipment_moves_to_another_node_once(world: World) -> None:
    world.shelf.put("SKU-1", "dc-east", 5)
    world.shelf.put("SKU-1", "dc-west", 5)
    order_id = world.order(("SKU-1", 2))
    world.reserve(order_id)
    (first,) = world.release(order_id)
    rejecting = world.orders.get(order_id).shipment(first).node_id  # type: ignore[union-attr]
    other = "dc-west" if rejecting == "dc-east" else "dc-east"
    world.event(order_id, first, "rejected", reason="out of boxes")
    new = world.reroute(order_id, first)
    assert (new.node_id, new.replaces) == (other, first)
    assert world.level("SKU-1", rejecting) == (5, 0, 5)
    assert world.level("SKU-1", other) == (5, 2, 3)
    assert world.reroute(order_id, first).shipment_id == new.shipment_id  # a retried step
    assert world.level("SKU-1", other) == (5, 2, 3)


def test_a_rejected_shipment_nobody_else_can_fill_is_unroutable_and_its_units_go_back(world: World) -> None:
    world.shelf.put("SKU-1", "dc-east", 5)
    order_id = world.order(("SKU-1", 2))
    world.reserve(order_id)
    (first,) = world.release(order_id)
    world.event(order_id, first, "rejected", reason="damaged stock")
    with pytest.raises(ShipmentUnroutable, match="damaged stock"):
        world.reroute(order_id, first)
    assert world.level("SKU-1", "dc-east") == (5, 0, 5)
    assert world.shelf.leases == {}


# --- backorder allocation -------------------------------------------------------------------------------


def test_arrived_stock_goes_to_the_priority_channel_first_and_fulfilment_resumes(world: World) -> None:
    world.policies.put("vip", Policy(priority=10))
    older = world.order(("SKU-1", 2), channel="web")
    vip = world.order(("SKU-1", 2), channel="vip")
    assert world.reserve(older).outcome == world.reserve(vip).outcome == "backorder"
    assert world.inventory.backorders("SKU-1") == [vip, older]
    world.shelf.put("SKU-1", "dc-east", 3)
    results = world.allocate("SKU-1")
    assert [(o, r.outcome) for o, r in results] == [(vip, "allocated"), (older, "backorder")]
    assert world.orders.get(vip).status == OrderStatus.RESERVED  # type: ignore[union-attr]
    assert world.workflow.started == {f"{vip}-restocked": {"order_id": vip}}
    assert [e.arn.rsplit(":", 1)[1] for e in world.orders.get(vip).executions] == [f"{vip}-restocked"]  # type: ignore[union-attr]
    assert world.inventory.backorders("SKU-1") == [older]


def test_an_order_stays_queued_until_its_fulfilment_has_resumed(world: World) -> None:
    order_id = world.order(("SKU-1", 1))
    world.reserve(order_id)
    world.shelf.put("SKU-1", "dc-east", 1)
    world.workflow.fail_next_start = True
    with pytest.raises(ConnectionError):
        world.allocate("SKU-1")
    assert world.inventory.backorders("SKU-1") == [order_id]  # a redelivery finishes the job
    assert world.allocate("SKU-1") == []  # reserved already: only resumed now
    assert list(world.workflow.started) == [f"{order_id}-restocked"]
    assert world.inventory.backorders("SKU-1") == []
    assert world.level("SKU-1", "dc-east") == (1, 1, 0)


def test_an_order_queued_by_its_first_routing_keeps_its_place_while_that_routing_finishes(world: World) -> None:
    # measured in the soak: the first routing queues the order, then saves BACKORDERED; a receipt's
    # allocation in between took the order out of the queue, and no later receipt found it
    order_id = world.order(("SKU-1", 2))
    order = world.orders.get(order_id)
    assert order is not None
    priority = world.policies.get(order.channel).priority
    world.inventory.add_backorder(order_id, {"SKU-1"}, priority, order.created_at)  # queued, still RECEIVED
    world.shelf.put("SKU-1", "dc-east", 2)  # a receipt arrives meanwhile, after the routing read the stock
    with pytest.raises(StillRouting):  # the restock message is delivered again
        world.allocate("SKU-1")
    assert world.inventory.backorders("SKU-1") == [order_id]
    world.shelf.put("SKU-1", "dc-east", 0)  # the shelf as the first routing read it, before the receipt
    assert world.reserve(order_id).outcome == "backorder"  # ... which then saves its decision
    world.shelf.put("SKU-1", "dc-east", 2)
    # the redelivered message offers the same arrival: no later receipt is needed
    assert [(o, r.outcome) for o, r in world.allocate("SKU-1")] == [(order_id, "allocated")]
    assert world.inventory.backorders("SKU-1") == []


# --- the return refund -----------------------------------------------------------------------------------


def delivered(world: World, captured: int) -> str:
    world.shelf.put("SKU-1", "dc-east", 5)
    order_id = world.order(("SKU-1", 2), captured=captured)
    world.reserve(order_id)
    (shipment_id,) = world.release(order_id)
    world.ship(order_id, shipment_id)
    world.event(order_id, shipment_id, "in_transit")
    world.event(order_id, shipment_id, "delivered")
    assert world.orders.get(order_id).status == OrderStatus.DELIVERED  # type: ignore[union-attr]
    return order_id


def returned(world: World, order_id: str, resellable: int, damaged: int) -> str:
    rma = open_return(
        order_id,
        {"L1": resellable + damaged},
        "wrong size",
        orders=world.orders,
        returns=world.returns,
        clock=world.clock,
    )
    receive_return(
        rma.rma_id,
        "ev-1",
        "dc-east",
        {"L1": (resellable, damaged)},
        orders=world.orders,
        signals=world.signals,
        clock=world.clock,
    )
    return rma.rma_id


def refund_return(world: World, rma_id: str) -> str | None:
    outcome = restock_and_refund(
        rma_id,
        orders=world.orders,
        inventory=world.inventory,
        ledger=world.ledger,
        refunds=world.refunds,
        clock=world.clock,
    )
    return outcome.refund_ids[0] if outcome.refund_ids else None


def test_a_received_return_restocks_the_resellable_units_and_refunds_what_arrived_once(world: World) -> None:
    order_id = delivered(world, captured=2500)
    rma_id = returned(world, order_id, resellable=1, damaged=1)
    refund_id = refund_return(world, rma_id)
    assert refund_id is not None
    assert world.level("SKU-1", "dc-east") == (4, 0, 4)  # 3 left after shipping, 1 back on the shelf
    entry = world.ledger.get(refund_id)
    assert entry is not None
    # both units (the damaged one too), and shipping: nothing of the order is kept
    assert (entry.amount, entry.status, entry.reason) == (2500, RefundStatus.PENDING, RefundReason.RETURN)
    assert world.orders.get(order_id).status == OrderStatus.RETURNED  # type: ignore[union-attr]
    assert refund_return(world, rma_id) is None  # a retried step opens no second refund, restocks nothing
    assert world.level("SKU-1", "dc-east") == (4, 0, 4)
    assert len(world.ledger.entries) == 1
    assert len(world.refunds.started) == 1


def test_a_return_refund_beyond_what_was_captured_is_refused_and_restocks_once(world: World) -> None:
    order_id = delivered(world, captured=2500)
    # a refund made earlier (a goodwill gesture) already took most of the capture
    world.ledger.open(entry("rf_goodwill", f"pi_{world.n}", 2000), captured=2500)
    rma_id = returned(world, order_id, resellable=1, damaged=0)
    for _ in range(2):  # the state machine retries the step
        with pytest.raises(RefundExceedsCaptured):
            refund_return(world, rma_id)
    assert world.level("SKU-1", "dc-east") == (4, 0, 4)
    assert world.ledger.totals(f"pi_{world.n}") == (2500, 2000)
    assert world.refunds.started == {}


# --- a refund that failed for good ------------------------------------------------------------------------


def entry(refund_id: str, payment_intent: str = "pi_9", amount: int = 700) -> LedgerEntry:
    return LedgerEntry(
        refund_id=refund_id,
        order_id="ord_9",
        payment_intent=payment_intent,
        amount=amount,
        currency="USD",
        reason=RefundReason.GOODWILL,
        cause_id=refund_id,
        idempotency_key=f"key-{refund_id}",
        status=RefundStatus.PENDING,
        stripe_refund_id=None,
        failure_reason=None,
        created_at=AT,
        settled_at=None,
    )


def test_a_failed_refund_stripe_never_made_is_failed_and_its_amount_freed(world: World) -> None:
    world.ledger.open(entry("rf_1"), captured=1000)
    stripe = InMemoryStripeRefunds()
    failed = record_refund_failure(
        "rf_1", "card expired", ledger=world.ledger, gateway=lambda: stripe, clock=world.clock
    )
    assert failed is not None
    assert (failed.status, failed.failure_reason) == (RefundStatus.FAILED, "card expired")
    assert world.ledger.totals("pi_9") == (1000, 0)
    # the failure step again: settled already, Stripe is not asked
    stripe.down = True
    again = record_refund_failure(
        "rf_1", "card expired", ledger=world.ledger, gateway=lambda: stripe, clock=world.clock
    )
    assert again == failed


def test_a_failed_step_after_stripe_made_the_refund_settles_it_succeeded(world: World) -> None:
    opened = world.ledger.open(entry("rf_2"), captured=1000)
    stripe = InMemoryStripeRefunds()
    made = stripe.refund(opened)  # Stripe made it; the step timed out before settling
    settled = record_refund_failure("rf_2", "timeout", ledger=world.ledger, gateway=lambda: stripe, clock=world.clock)
    assert settled is not None
    assert (settled.status, settled.stripe_refund_id) == (RefundStatus.SUCCEEDED, made.id)
    assert world.ledger.totals("pi_9") == (1000, 700)  # never freed for a second refund


def test_a_failure_step_that_cannot_reach_stripe_leaves_the_entry_pending(world: World) -> None:
    world.ledger.open(entry("rf_3"), captured=1000)
    stripe = InMemoryStripeRefunds()
    stripe.down = True
    with pytest.raises(PaymentProviderUnavailable):
        record_refund_failure("rf_3", "timeout", ledger=world.ledger, gateway=lambda: stripe, clock=world.clock)
    assert world.ledger.get("rf_3").status == RefundStatus.PENDING  # type: ignore[union-attr]


# --- the hand-over step -------------------------------------------------------------------------------------


def test_hand_over_captures_an_authorization_once_and_names_the_email_owed(world: World) -> None:
    world.shelf.put("SKU-1", "dc-east", 5)
    order_id = world.order(("SKU-1", 2))
    world.reserve(order_id)
    (shipment_id,) = world.release(order_id)
    for kind in ("accepted", "picked"):
        world.event(order_id, shipment_id, kind)
    world.event(order_id, shipment_id, "packed", parcel=PARCEL)
    buy_label(order_id, shipment_id, orders=world.orders, nodes=world.nodes, carrier=FakeCarrier(), clock=world.clock)
    payments = FakePayments()
    payments.intents[f"pi_{world.n}"] = PaymentIntent(f"pi_{world.n}", "requires_capture", "USD", 2500, 2500, 0)
    shipment, kind = ship(
        order_id, shipment_id, orders=world.orders, inventory=world.inventory, payments=payments, clock=world.clock
    )
    assert (shipment.status.value, kind) == ("SHIPPED", "shipped")
    assert world.orders.get(order_id).captured_amount == 2500  # type: ignore[union-attr]
    assert world.level("SKU-1", "dc-east") == (3, 0, 3)
    again, _ = ship(
        order_id, shipment_id, orders=world.orders, inventory=world.inventory, payments=payments, clock=world.clock
    )
    assert again.status == shipment.status
    assert world.level("SKU-1", "dc-east") == (3, 0, 3)

"""Cancelling: money owed is on record before any provider call (issue 11, case 2), what was
captured is refunded in its own currency (case 5), and a repeated cancel has no second side
effects while a missing PaymentIntent is permanent (case 13)."""

from datetime import timedelta
from typing import Any, cast

import pytest

from shared.domain.errors import PaymentIntentMissing, PaymentProviderUnavailable
from shared.domain.order import OrderStatus
from shared.domain.payment import ALREADY_USED, PaymentIntent
from shared.domain.refund_ledger import RefundStatus, refund_key
from shared.usecases.cancel_order import cancel_order
from shared.usecases.capture_payment import capture_for_shipping
from shared.usecases.refunds import open_cancellation_refund
from shared.usecases.sweep_refunds import sweep_owed_refunds
from tests.unit.fakes import (
    FakePayments,
    FakeRequests,
    FakeSignals,
    FakeWorkflow,
    FixedClock,
    InMemoryLedger,
    InMemoryOrders,
)
from tests.unit.test_order_lifecycle import new_order

TOTAL = 770  # new_order(): lines 650, shipping 100, tax 20


class NoReservations:
    """Inventory as the cancel sees it: nothing reserved (the order was never routed)."""

    def reservations(self, order_id: str) -> list[Any]:
        return []

    def release(self, reservation: Any) -> bool:
        raise AssertionError("nothing to release")


class World:
    def __init__(self) -> None:
        self.orders, self.clock = InMemoryOrders(), FixedClock()
        self.order = new_order()
        self.orders.add(self.order, "h")
        self.payments, self.ledger = FakePayments(), InMemoryLedger()
        self.workflow, self.refunds = FakeWorkflow(), FakeWorkflow()
        self.signals, self.requests = FakeSignals(), FakeRequests()

    def cancel(self):
        return cancel_order(
            "ord_1",
            "customer asked",
            "ops:desk",
            orders=self.orders,
            inventory=cast(Any, NoReservations()),
            workflow=self.workflow,
            refunds_workflow=self.refunds,
            signals=self.signals,
            requests=self.requests,
            ledger=self.ledger,
            clock=self.clock,
        )

    def open(self):
        return open_cancellation_refund(
            "ord_1", orders=self.orders, payments=self.payments, ledger=self.ledger, clock=self.clock
        )


@pytest.fixture
def world():
    return World()


def test_a_cancel_during_a_stripe_outage_keeps_the_refund_owed_until_it_is_opened(world):
    world.payments.intents["pi_1"] = PaymentIntent("pi_1", "succeeded", "USD", TOTAL, 0, TOTAL)
    world.payments.down = True
    world.cancel()  # the payment check never ran: what was captured is not known yet
    assert world.payments.calls == 0  # no provider call before the money owed is on record
    assert [(o.order_id, o.cause_id) for o in world.ledger.owed()] == [("ord_1", "cancel")]
    assert world.refunds.started["ord_1-cancel"]["refund_id"] is None
    with pytest.raises(PaymentProviderUnavailable):  # the flow's OpenRefund fails: nothing is lost
        world.open()
    assert len(world.ledger.owed()) == 1

    # cancelling again while the first flow runs starts nothing; once it failed, it starts the flow
    # again; so does the sweep once the owed record is old enough
    world.cancel()
    assert list(world.refunds.started) == ["ord_1-cancel"]
    world.refunds.finished.add("ord_1-cancel")
    world.cancel()  # ended, but the cancel is seconds old: a double submit, its flow may be starting
    assert list(world.refunds.started) == ["ord_1-cancel"]
    world.clock.at += timedelta(minutes=2)
    world.cancel()
    assert [name for name in world.refunds.started if name.startswith("ord_1-cancel-again-")]
    world.clock.at += timedelta(minutes=20)
    assert sweep_owed_refunds(ledger=world.ledger, refunds=world.refunds, clock=world.clock) == ["ord_1"]

    world.payments.down = False  # Stripe is back: the swept flow opens the refund, and the record goes
    entry = world.open()
    assert (entry.amount, entry.currency, entry.status) == (TOTAL, "USD", RefundStatus.PENDING)
    assert world.ledger.owed() == []
    assert sweep_owed_refunds(ledger=world.ledger, refunds=world.refunds, clock=world.clock) == []


def test_a_cancel_after_the_payment_check_opens_the_pending_entry_itself(world):
    world.order.verify_payment(world.clock.now(), TOTAL)
    world.orders.save(world.order)
    world.payments.down = True
    world.cancel()
    entry = world.ledger.find(refund_key("ord_1", "cancel"))
    assert (entry.amount, entry.status) == (TOTAL, RefundStatus.PENDING)
    assert world.ledger.owed() == []
    assert world.refunds.started["ord_1-cancel"]["refund_id"] == entry.refund_id
    assert world.payments.calls == 0


def test_a_held_order_paid_in_another_currency_gets_back_what_was_taken_in_that_currency(world):
    world.payments.intents["pi_1"] = PaymentIntent("pi_1", "succeeded", "EUR", 900, 0, 900)
    world.order.hold_for_payment("payment currency EUR does not match order currency USD", world.clock.now())
    world.orders.save(world.order)
    world.cancel()
    entry = world.open()
    assert (entry.amount, entry.currency) == (900, "EUR")


def test_an_order_held_because_its_intent_pays_another_order_refunds_and_voids_nothing(world):
    world.payments.intents["pi_1"] = PaymentIntent("pi_1", "requires_capture", "USD", TOTAL, TOTAL, 0)
    world.order.hold_for_payment("payment intent pi_1 already pays for order ord_9", world.clock.now(), ALREADY_USED)
    world.orders.save(world.order)
    world.cancel()
    assert world.open() is None
    assert world.payments.intents["pi_1"].status == "requires_capture"  # the other order's authorization stands
    assert world.ledger.owed() == []


def test_a_repeated_cancel_tells_the_nodes_and_fails_the_tokens_only_once(world):
    from shared.domain.routing import Allocation, RoutingDecision

    order = world.orders.get("ord_1")
    order.verify_payment(world.clock.now(), TOTAL)
    allocations = (Allocation("dc-a", "L1", "A", 2), Allocation("dc-a", "L2", "B", 1))
    order.apply_routing(RoutingDecision("allocated", allocations, (), (), 1, "test"), 100, world.clock.now())
    order.release(world.clock.now())
    order.shipments[0].request_token = "tok-1"
    world.orders.save(order)

    world.cancel()
    world.cancel()
    assert len(world.requests.sent) == 1
    assert [token for kind, token, _ in world.signals.calls if kind == "fail"] == ["tok-1"]
    assert world.orders.get("ord_1").status == OrderStatus.CANCELLED
    assert len(world.ledger.entries) == 1


def test_a_missing_payment_intent_at_capture_is_permanent_not_an_outage(world):
    world.payments.intents.clear()
    with pytest.raises(PaymentIntentMissing):
        capture_for_shipping("ord_1", orders=world.orders, payments=world.payments, clock=world.clock)

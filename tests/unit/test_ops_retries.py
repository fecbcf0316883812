"""Refunds and cancellations that used to stay stuck: a failed refund is retried by ops (a new entry,
the failed one kept), and a refund owed beyond what the PaymentIntent has left becomes a
refund_failed exception instead of a flow the sweep restarts for ever."""

from __future__ import annotations

from dataclasses import replace

from shared.domain.audit import Actor
from shared.domain.exceptions import Action, ExceptionType
from shared.domain.order import OrderStatus
from shared.domain.refund_ledger import LedgerEntry, RefundReason, RefundStatus
from shared.usecases.act_on_order import act_on_order
from shared.usecases.action_ports import ActionPorts
from shared.usecases.ops_actions import ActionRequest
from shared.usecases.ops_retries import refund_failed_on_order
from shared.usecases.refunds import OWED_CANCEL
from tests.unit.test_no_dead_ends import ship
from tests.unit.test_shipments import order
from tests.unit.test_stock_usecases import AT, World

ANA = Actor("ops", "ana")


def _ports(world: World) -> ActionPorts:
    return ActionPorts(
        world.orders,
        world.workflow,
        world.refunds,
        world.returns,
        world.signals,
        world.requests,
        world.inventory,
        world.ledger,
        world.clock,
    )


def test_a_failed_refund_is_retried_once_as_a_new_entry_and_the_order_leaves_the_queue() -> None:
    world = World()
    order_id = world.order(("SKU-1", 1), captured=1500)
    world.cancel(order_id)
    [first] = world.ledger.entries
    failed = world.ledger.settle(first.refund_id, RefundStatus.FAILED, None, "card closed", AT)
    refund_failed_on_order(order_id, failed.refund_id, "card closed", orders=world.orders, clock=world.clock)
    held = world.orders.get(order_id)
    assert held is not None
    assert [(e.type, e.subject) for e in held.open_exceptions] == [(ExceptionType.REFUND_FAILED, failed.refund_id)]

    request = ActionRequest(Action.RETRY, "customer sent a new card", ANA, key="r-1")
    outcome = act_on_order(order_id, request, _ports(world))
    assert not outcome.order.open_exceptions
    old, new = world.ledger.entries
    assert (old.status, new.status, new.amount) == (RefundStatus.FAILED, RefundStatus.PENDING, old.amount)
    assert new.refund_id != old.refund_id
    assert [p["refund_id"] for p in world.refunds.started.values()][-1] == new.refund_id
    [audit] = [h for h in outcome.order.history if h.event == "refund_retried"]
    assert audit.actor == ANA
    # the same retry again, with or without its key: no second entry, no second audit line
    assert act_on_order(order_id, request, _ports(world)).replayed
    assert len(world.ledger.entries) == 2


def test_an_owed_refund_beyond_what_is_left_is_a_refund_failed_exception_not_retried_for_ever() -> None:
    world = World()
    order_id = world.order(("SKU-1", 1), captured=1500)
    # a refund made elsewhere already took most of the PaymentIntent
    order = world.orders.get(order_id)
    assert order is not None
    world.ledger.open(
        LedgerEntry(
            "rf_goodwill",
            order_id,
            order.payment_intent,
            1000,
            "USD",
            RefundReason.RETURN,
            "goodwill",
            "k-gw",
            RefundStatus.PENDING,
            None,
            None,
            AT,
            None,
        ),
        1500,
    )
    outcome = world.cancel(order_id)
    assert outcome.order.status == OrderStatus.CANCELLED
    after = world.orders.get(order_id)
    assert after is not None
    assert [(e.type, e.subject) for e in after.open_exceptions] == [(ExceptionType.REFUND_FAILED, OWED_CANCEL)]
    assert world.ledger.owed() == []  # nothing left for the sweep to restart
    assert not world.refunds.started
    assert [e.refund_id for e in world.ledger.entries] == ["rf_goodwill"]


def test_cancel_through_the_actions_records_the_ops_principal_and_its_key() -> None:
    world = World()
    order_id = world.order(("SKU-1", 1), captured=1500)
    request = ActionRequest(Action.CANCEL, "fraud", ANA, key="c-1")
    outcome = act_on_order(order_id, request, _ports(world))
    assert outcome.order.status == OrderStatus.CANCELLED
    [audit] = [h for h in outcome.order.history if h.event == "cancelled"]
    assert (audit.actor, audit.cause) == (ANA, "by ops:ana: fraud")
    assert act_on_order(order_id, request, _ports(world)).replayed
    assert act_on_order(order_id, replace(request, key="c-2"), _ports(world)).order.cancellation is not None


def test_a_failed_return_runs_again_in_a_new_execution_linked_on_the_order() -> None:
    world = World()
    o = order()
    o.release(AT)
    ship(o, "ord_1-S1", 1)
    ship(o, "ord_1-S2", 2)
    rma = o.open_return({"L1": 1}, "too small", AT)
    o.return_failed(rma.rma_id, "RestockAndRefund: Stripe down", AT)
    world.orders.add(o, "h")
    outcome = act_on_order("ord_1", ActionRequest(Action.RETRY, "Stripe is back", ANA, key="t-1"), _ports(world))
    assert not outcome.order.open_exceptions
    [(name, payload)] = world.returns.started.items()
    assert payload == {"order_id": "ord_1", "rma_id": rma.rma_id}
    assert outcome.order.executions[-1].arn.endswith(f":{name}")
    [audit] = [h for h in outcome.order.history if h.event == "return_retried"]
    assert (audit.actor, audit.cause) == (ANA, f"{rma.rma_id}: Stripe is back")
    assert act_on_order("ord_1", ActionRequest(Action.RETRY, "Stripe is back", ANA, key="t-1"), _ports(world)).replayed
    assert len(world.returns.started) == 1

"""An order whose preparation died before its release (e.g. an Express run that timed out) is found
stuck by the sweep; ops retries it, which starts a new run that prepares and releases it. Before,
a stuck order offered no retry, only cancel."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.domain.audit import Actor
from shared.domain.exceptions import Action, ActionRefused, ExceptionType
from shared.domain.ops import applicable_actions
from shared.domain.order import OrderStatus
from shared.usecases.act_on_order import act_on_order
from shared.usecases.ops_actions import ActionRequest
from shared.usecases.release import release_and_fulfil
from shared.usecases.sweep_exceptions import sweep_exceptions
from tests.unit.fakes_ops import InMemoryExceptionIndex, InMemoryStatusIndex
from tests.unit.test_fulfilment_usecases import LIMITS
from tests.unit.test_ops_retries import _ports
from tests.unit.test_stock_usecases import World

ANA = Actor("ops", "ana")


def _sweep(world: World) -> tuple[str, ...]:
    orders = world.orders
    found = sweep_exceptions(
        statuses=InMemoryStatusIndex(orders), queue=InMemoryExceptionIndex(orders), orders=orders, clock=world.clock
    )
    return found.stuck


def _stuck(world: World, *, reserved: bool) -> str:
    """An order whose first run died: RECEIVED, or RESERVED when it died between reserve and release."""
    world.shelf.put("SKU-1", "dc-east", 5)
    order_id = world.order(("SKU-1", 1))
    if reserved:
        assert world.reserve(order_id).outcome == "allocated"
    world.clock.at += timedelta(hours=1, minutes=1)
    assert _sweep(world) == (order_id,)
    return order_id


@pytest.mark.parametrize("reserved", [False, True], ids=["received", "reserved"])
def test_a_stuck_preparation_is_retried_by_a_new_run_that_releases_the_order(reserved: bool) -> None:
    world = World()
    order_id = _stuck(world, reserved=reserved)
    stuck = world.orders.get(order_id)
    assert stuck is not None
    assert [e.type for e in stuck.open_exceptions] == [ExceptionType.STUCK]
    assert Action.RETRY in applicable_actions(stuck)

    request = ActionRequest(Action.RETRY, "its preparation timed out", ANA, key="k-1")
    outcome = act_on_order(order_id, request, _ports(world))
    run = f"{order_id}-retry-1"
    assert outcome.execution == run
    assert list(world.workflow.started) == [run]
    assert outcome.order.status == stuck.status
    assert not outcome.order.open_exceptions
    assert [(h.event, h.cause, h.actor) for h in outcome.order.history if h.actor == ANA] == [
        ("restarted", "its preparation timed out", ANA)
    ]
    assert act_on_order(order_id, request, _ports(world)).replayed  # the key again: nothing new
    assert list(world.workflow.started) == [run]

    # the new run: its reservation (done already, or now) and the release under its own name
    world.reserve(order_id)
    [shipment] = release_and_fulfil(
        order_id,
        run,
        LIMITS,
        orders=world.orders,
        workflow=world.workflow,
        clock=world.clock,
        state_machine="fulfilment",
        run_machine="preparation",
    )
    assert list(world.workflow.started) == [run, f"{run}-S1"]
    released = world.orders.get(order_id)
    assert released is not None
    assert (released.status, shipment.node_id) == (OrderStatus.RELEASED, "dc-east")


def test_the_wait_starts_again_from_the_retry_so_the_sweep_does_not_refile_it_at_once() -> None:
    world = World()
    order_id = _stuck(world, reserved=False)
    act_on_order(order_id, ActionRequest(Action.RETRY, "try again", ANA), _ports(world))
    world.clock.at += timedelta(minutes=50)
    assert _sweep(world) == ()  # the new run has its hour
    world.clock.at += timedelta(minutes=11)
    assert _sweep(world) == (order_id,)  # and it died too: stuck again, and retryable again
    again = world.orders.get(order_id)
    assert again is not None
    assert Action.RETRY in applicable_actions(again)


def test_retry_is_refused_for_a_preparing_order_that_is_not_stuck_and_for_a_stuck_shipped_one() -> None:
    world = World()
    order_id = world.order(("SKU-1", 1))
    with pytest.raises(ActionRefused) as refused:
        act_on_order(order_id, ActionRequest(Action.RETRY, "impatient", ANA), _ports(world))
    assert refused.value.code == "nothing_to_retry"
    assert not world.workflow.started

    world.shelf.put("SKU-1", "dc-east", 5)
    world.reserve(order_id)
    [sid] = world.release(order_id)
    world.ship(order_id, sid)
    world.clock.at += timedelta(days=15)
    assert _sweep(world) == (order_id,)
    shipped = world.orders.get(order_id)
    assert shipped is not None
    assert shipped.status == OrderStatus.SHIPPED
    assert Action.RETRY not in applicable_actions(shipped)  # what left is the carrier's to find
    with pytest.raises(ActionRefused):
        act_on_order(order_id, ActionRequest(Action.RETRY, "where is it", ANA), _ports(world))

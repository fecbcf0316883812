from datetime import UTC, datetime

import pytest

from shared.domain.errors import IllegalTransition
from shared.domain.order import TRANSITIONS, Customer, Delivery, OrderStatus, place
from shared.domain.values import Address

AT = datetime(2026, 1, 1, tzinfo=UTC)


def new_order():
    return place(
        order_id="ord_1",
        channel="web",
        external_id="W-1",
        currency="USD",
        customer=Customer("a@example.com", "Ann"),
        ship_to=Address("Ann", "1 Main", "Austin", "TX", "73301", "US"),
        lines=[("A", 2, 300), ("B", 1, 50)],
        shipping_amount=100,
        tax_amount=20,
        payment_intent="pi_1",
        delivery=Delivery("ship", "standard"),
        at=AT,
    )


def test_new_order_is_received_with_numbered_lines_and_totals():
    order = new_order()
    assert order.status == OrderStatus.RECEIVED
    assert [line.line_id for line in order.lines] == ["L1", "L2"]
    assert (order.totals.lines, order.totals.grand_total) == (650, 770)
    assert [h.event for h in order.history] == ["captured"]


def test_payment_hold_records_reason_and_history():
    order = new_order()
    order.hold_for_payment("amount too low", AT)
    assert order.status == OrderStatus.ON_HOLD
    assert order.hold_reason == "amount too low"
    assert order.history[-1].cause == "amount too low"


@pytest.mark.parametrize("terminal", [OrderStatus.CANCELLED, OrderStatus.RETURNED])
def test_terminal_states_have_no_way_out(terminal):
    assert TRANSITIONS[terminal] == frozenset()


def test_illegal_transition_is_rejected_and_changes_nothing():
    order = new_order()
    order.fail("boom", AT)
    order.status = OrderStatus.CANCELLED
    with pytest.raises(IllegalTransition):
        order.fail("again", AT)
    assert order.status == OrderStatus.CANCELLED
    assert len(order.history) == 2


def test_every_status_is_reachable_from_received():
    seen, frontier = {OrderStatus.RECEIVED}, [OrderStatus.RECEIVED]
    while frontier:
        for nxt in TRANSITIONS[frontier.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert seen == set(OrderStatus)

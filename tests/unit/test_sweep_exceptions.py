"""The exception sweep: orders that stopped moving become stuck (or backordered) exceptions, which
resolve when the order moves again; the queue's oldest wait is measured for its alarm."""

from datetime import timedelta

from shared.domain.exceptions import ExceptionType
from shared.domain.order import OrderStatus
from shared.usecases.sweep_exceptions import sweep_exceptions
from tests.unit.fakes import FixedClock, InMemoryOrders
from tests.unit.fakes_ops import InMemoryExceptionIndex, InMemoryStatusIndex, stored
from tests.unit.test_shipments import AT, order


def _sweep(orders, clock):
    return sweep_exceptions(
        statuses=InMemoryStatusIndex(orders), queue=InMemoryExceptionIndex(orders), orders=orders, clock=clock
    )


def test_an_order_without_progress_is_stuck_until_it_moves_and_the_oldest_wait_is_measured():
    orders = InMemoryOrders()
    released = order()
    released.release(AT)
    orders.add(released, "h")
    waiting = order()
    waiting.order_id, waiting.external_id, waiting.status, waiting.routing = "ord_2", "W-2", OrderStatus.RECEIVED, None
    waiting._move(OrderStatus.BACKORDERED, "backordered", "no stock", AT)
    orders.add(waiting, "h")
    fresh = order()
    fresh.order_id, fresh.external_id = "ord_3", "W-3"
    fresh.created_at = AT + timedelta(days=2, hours=23)
    fresh.release(AT + timedelta(days=2, hours=23))
    orders.add(fresh, "h")
    clock = FixedClock()
    clock.at = AT + timedelta(days=3)
    first = _sweep(orders, clock)
    assert first.stuck == ("ord_1",)  # two days released; the backorder waits its week, the fresh one is young
    [e] = stored(orders, "ord_1").open_exceptions
    assert (e.type, e.since) == (ExceptionType.STUCK, AT)
    assert first.oldest_age_s == 3 * 86400 + 1
    assert _sweep(orders, clock).stuck == ()  # already in the queue: found once
    clock.at = AT + timedelta(days=8)
    assert _sweep(orders, clock).stuck == ("ord_3", "ord_2")  # by now the young one stopped too
    assert stored(orders, "ord_2").open_exceptions[0].type == ExceptionType.BACKORDERED
    o = stored(orders, "ord_1")
    o.fail("ShipmentFailed: timed out", clock.now())  # it moves (here: to EXCEPTION): no longer stuck
    assert [x.type for x in o.open_exceptions] == [ExceptionType.FULFILMENT_FAILED]

"""Fulfilment compensation: a step failed for good, so the order goes to EXCEPTION with the cause."""

from __future__ import annotations

from shared.domain.order import Order, OrderStatus
from shared.ports import Clock, OrderRepository
from shared.usecases._update import update_order


def record_exception(order_id: str, cause: str, *, orders: OrderRepository, clock: Clock) -> str:
    def fail(order: Order) -> str:
        if order.status == OrderStatus.EXCEPTION:
            return order.status.value  # retried compensation: already recorded
        order.fail(cause, clock.now())
        return order.status.value

    return update_order(orders, order_id, fail)

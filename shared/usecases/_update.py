"""Read-modify-write of one order with optimistic concurrency, retried when someone else saved first."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from shared.domain.errors import ConcurrentUpdate, OrderNotFound
from shared.domain.order import Order, copy
from shared.ports import OrderRepository

T = TypeVar("T")
ATTEMPTS = 5


def update_order(
    orders: OrderRepository, order_id: str, change: Callable[[Order], T], *, loaded: Order | None = None
) -> T:
    """Applies `change` to the current order and saves it; `change` may decide to change nothing.

    `loaded`: the order as the caller just read it, tried first instead of reading it again (it is
    changed in place; on a concurrent update the order is read afresh)."""
    for attempt in range(ATTEMPTS):
        order = loaded if attempt == 0 and loaded is not None else orders.get(order_id)
        if order is None:
            raise OrderNotFound(order_id)
        before = copy(order)
        result = change(order)
        if order == before:
            return result  # nothing to save
        try:
            orders.save(order)
        except ConcurrentUpdate:
            if attempt == ATTEMPTS - 1:
                raise
            continue
        return result
    raise AssertionError("unreachable")

"""The in-memory exception index (shared/usecases/exception_queue.py's port) over InMemoryOrders:
each stored order with an open exception is filed under its oldest, as the sparse GSI files it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from shared.domain.exceptions import ExceptionType
from shared.domain.ops import filed_under, nodes_of
from shared.domain.order import Order, OrderStatus
from shared.usecases.exception_queue import Filed, position
from tests.unit.fakes import InMemoryOrders


class InMemoryExceptionIndex:
    def __init__(self, orders: InMemoryOrders) -> None:
        self._orders = orders
        self.queries: list[ExceptionType] = []

    def _partition(self, kind: ExceptionType) -> list[Filed]:
        found = []
        for order in self._orders.orders.values():
            head = filed_under(order)
            if head is not None and head.type == kind:
                found.append(Filed(position(head.since, order.order_id), order))
        return sorted(found, key=lambda f: f.position)

    def filed(
        self, kind: ExceptionType, *, low: str | None, high: str | None, newest_first: bool, limit: int
    ) -> Sequence[Filed]:
        self.queries.append(kind)
        found = [
            f
            for f in self._partition(kind)
            if (low is None or f.position >= low) and (high is None or f.position <= high)
        ]
        return (found[::-1] if newest_first else found)[:limit]

    def count(
        self, kind: ExceptionType, *, high: str | None = None, channel: str | None = None, node_id: str | None = None
    ) -> int:
        return sum(
            1
            for f in self._partition(kind)
            if (high is None or f.position <= high)
            and (channel is None or f.order.channel == channel)
            and (node_id is None or node_id in nodes_of(f.order))
        )


class InMemoryStatusIndex:
    """The status index (partition: status, sort: created_at) over InMemoryOrders."""

    def __init__(self, orders: InMemoryOrders) -> None:
        self._orders = orders

    def created_before(self, status: OrderStatus, bound: datetime, limit: int) -> Sequence[str]:
        found = sorted(
            (o for o in self._orders.orders.values() if o.status == status and o.created_at < bound),
            key=lambda o: o.created_at,
        )
        return [o.order_id for o in found[:limit]]


def stored(orders: InMemoryOrders, order_id: str) -> Order:
    """The stored order, which the test knows is there."""
    found = orders.get(order_id)
    assert found is not None, order_id
    return found

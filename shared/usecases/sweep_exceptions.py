"""The scheduled sweep of the exception queue: orders that stopped moving become `stuck` (or
`backordered`) exceptions, and the age of the oldest waiting order is measured for its alarm.

Candidates come from the status index: an order can only have been in its status longer than
expected if it was created before that, so each moving status is one query bounded by creation
time; each candidate is then judged on its own history (shared/domain/ops.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from shared.domain.exceptions import ORDER_TYPES
from shared.domain.ops import EXPECTED_PROGRESS, no_progress
from shared.domain.order import Order, OrderStatus
from shared.ports import Clock, OrderRepository
from shared.records import record
from shared.usecases._update import update_order
from shared.usecases.exception_queue import ExceptionIndex

# at most this many candidates per status per run; the next run carries on
BATCH = 500


class StatusIndex(Protocol):
    def created_before(self, status: OrderStatus, bound: datetime, limit: int) -> Sequence[str]:
        """Ids of orders in `status` created before `bound`, oldest first."""


@record
class SweepResult:
    stuck: tuple[str, ...]
    # seconds the oldest order in the queue has waited; 0 when the queue is empty
    oldest_age_s: float


def sweep_exceptions(
    *, statuses: StatusIndex, queue: ExceptionIndex, orders: OrderRepository, clock: Clock
) -> SweepResult:
    now = clock.now()
    stuck = []
    for status, limit in EXPECTED_PROGRESS.items():
        for order_id in statuses.created_before(status, now - limit, BATCH):

            def judge(o: Order) -> bool:
                found = no_progress(o, now)
                if found is not None:
                    o.found_stuck(*found, at=now)
                return found is not None

            if update_order(orders, order_id, judge):
                stuck.append(order_id)
    return SweepResult(tuple(stuck), oldest_age(queue, now))


def oldest_age(queue: ExceptionIndex, now: datetime) -> float:
    """How long the order at the head of the queue has waited: one item read per type."""
    oldest = None
    for kind in ORDER_TYPES:
        head = next(iter(queue.filed(kind, low=None, high=None, newest_first=False, limit=1)), None)
        if head is not None:
            since = datetime.fromisoformat(head.position.partition("#")[0])
            oldest = since if oldest is None else min(oldest, since)
    return max(0.0, (now - oldest).total_seconds()) if oldest else 0.0

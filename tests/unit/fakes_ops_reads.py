"""In-memory fakes of the operations ports: the order index, execution history, dead-letter queues."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.domain.order import Order
from shared.domain.order import copy as copy_order
from shared.usecases.dead_letters import DeadLetter, DeadLetterQueueState
from shared.usecases.executions import ExecutionInfo
from shared.usecases.search_orders import (
    BY_CHANNEL,
    BY_CHANNEL_STATUS,
    BY_KIND,
    BY_STATUS,
    IndexPage,
    IndexQuery,
    Position,
    created_key,
    node_ids,
)


class InMemoryOrderIndex:
    """The orders table's indexes as the DynamoDB adapter keeps them: entries are filed when an order
    is indexed and never re-filed, so an order changed after `index` shows a stale entry, as a lagging
    index would."""

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        # (index, partition) -> entries (created_at, pk, sk)
        self.entries: dict[tuple[str, str], set[tuple[str, str, str]]] = {}
        self.queries: list[IndexQuery] = []

    def index(self, order: Order) -> None:
        self.orders[order.order_id] = copy_order(order)
        pk, at = f"ORDER#{order.order_id}", created_key(order.created_at)
        filed = [
            (BY_KIND, "ORDER", "ORDER"),
            (BY_STATUS, order.status.value, "ORDER"),
            (BY_CHANNEL, order.channel, "ORDER"),
            (BY_CHANNEL_STATUS, f"{order.channel}#{order.status.value}", "ORDER"),
            *((BY_KIND, f"SKU#{line.sku}", f"SKU#{line.sku}") for line in order.lines),
            *((BY_KIND, f"NODE#{n}", f"NODE#{n}") for n in node_ids(order)),
        ]
        for index, partition, sk in filed:
            self.entries.setdefault((index, partition), set()).add((at, pk, sk))

    def page(self, query: IndexQuery, limit: int, after: Position | None) -> IndexPage:
        self.queries.append(query)
        entries = sorted(self.entries.get((query.index, query.partition), ()), reverse=True)
        entries = [
            e
            for e in entries
            if (query.created_from is None or e[0] >= query.created_from)
            and (query.created_to is None or e[0] <= query.created_to)
        ]
        if after is not None:
            mark = (after.created_at, after.pk, after.sk)
            entries = [e for e in entries if e < mark]
        taken = entries[:limit]
        more = len(entries) > limit
        last = Position(*taken[-1]) if taken and more else None
        orders = [copy_order(self.orders[pk.removeprefix("ORDER#")]) for _, pk, _ in taken]
        return IndexPage(orders=orders, last=last)


class FakeHistory:
    def __init__(self, machines: dict[str, str]) -> None:
        self.machines = machines
        self.executions: dict[str, ExecutionInfo] = {}
        self.history: dict[str, list[dict[str, Any]]] = {}
        self.searched: dict[str, tuple[datetime | None, datetime | None]] = {}  # arn -> the time bounds asked

    def execution_arn(self, state_machine: str, name: str) -> str:
        return f"{self.machines[state_machine].replace(':stateMachine:', ':execution:')}:{name}"

    def describe(self, arn: str, *, since: datetime | None = None) -> ExecutionInfo | None:
        self.searched[arn] = (since, None)
        return self.executions.get(arn)

    def events(self, arn: str, *, since: datetime | None = None, until: datetime | None = None) -> list[dict[str, Any]]:
        self.searched[arn] = (since, until)
        return list(self.history.get(arn, []))


class FakeDeadLetters:
    """Each queue's DLQ as a list; a redrive appends to the source queue's list."""

    def __init__(self, queues: list[str]) -> None:
        self.dlq: dict[str, list[DeadLetter]] = {q: [] for q in queues}
        self.source: dict[str, list[str]] = {q: [] for q in queues}

    def queues(self) -> list[str]:
        return list(self.dlq)

    def dead_letter(self, queue: str, body: str, sent_at: datetime, reason: str | None = None) -> None:
        n = sum(len(v) for v in self.dlq.values())
        self.dlq[queue].append(DeadLetter(f"m-{n}", body, sent_at, 4, reason))

    def state(self, queue: str, samples: int) -> DeadLetterQueueState:
        return DeadLetterQueueState(queue=queue, count=len(self.dlq[queue]), samples=self.dlq[queue][:samples])

    def redrive(self, queue: str, limit: int) -> int:
        moving, self.dlq[queue] = self.dlq[queue][:limit], self.dlq[queue][limit:]
        self.source[queue].extend(m.body for m in moving)
        return len(moving)

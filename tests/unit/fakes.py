"""Small in-memory stand-ins for the ports, for unit tests of the use cases only."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.domain import order as order_model
from shared.domain.errors import ConcurrentUpdate, PaymentProviderUnavailable
from shared.domain.inventory import Reservation, StockChange
from shared.domain.order import Order
from shared.domain.payment import PaymentIntent
from shared.domain.routing import Node
from shared.ports import AdjustmentReplay, CaptureRecord, DuplicateCapture


class InMemoryOrders:
    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.captures: dict[tuple[str, str], CaptureRecord] = {}
        self._lock = threading.Lock()

    def add(self, order: Order, body_hash: str) -> None:
        with self._lock:
            key = (order.channel, order.external_id)
            if key in self.captures:
                raise DuplicateCapture(self.captures[key])
            order.version = 1
            self.captures[key] = CaptureRecord(order.order_id, body_hash, order_model.copy(order))
            self.orders[order.order_id] = order_model.copy(order)

    def get(self, order_id: str) -> Order | None:
        found = self.orders.get(order_id)
        return order_model.copy(found) if found else None

    def find_capture(self, channel: str, external_id: str) -> CaptureRecord | None:
        return self.captures.get((channel, external_id))

    def save(self, order: Order) -> None:
        with self._lock:
            if self.orders[order.order_id].version != order.version:
                raise ConcurrentUpdate(order.order_id)
            order.version += 1
            self.orders[order.order_id] = order_model.copy(order)


class FakeWorkflow:
    def __init__(self) -> None:
        self.started: dict[str, dict[str, Any]] = {}
        self.start_calls = 0
        self.fail_next_start = False
        self.finished: set[str] = set()  # executions that ended (succeeded or failed)

    def execution_arn(self, name: str) -> str:
        return f"arn:aws:states:us-east-1:123456789012:execution:waybill-fulfilment:{name}"

    def start(self, name: str, payload: dict[str, Any]) -> None:
        self.start_calls += 1
        if self.fail_next_start:
            self.fail_next_start = False
            raise ConnectionError("step functions unreachable")
        self.started.setdefault(name, payload)

    def stop(self, execution_arn: str, cause: str) -> bool:
        self.stopped = [*getattr(self, "stopped", []), execution_arn]
        return True

    def running(self, name: str) -> bool:
        return name in self.started and name not in self.finished


class FakePayments:
    def __init__(self) -> None:
        self.intents: dict[str, PaymentIntent] = {}
        self.down = False
        self.calls = 0

    def get_intent(self, intent_id: str) -> PaymentIntent | None:
        self.calls += 1
        if self.down:
            raise PaymentProviderUnavailable("stripe is down")
        return self.intents.get(intent_id)

    def capture(self, intent_id: str, amount: int) -> PaymentIntent:
        intent = self.intents[intent_id]
        if intent.status == "requires_capture":
            intent = replace(intent, status="succeeded", amount_received=amount, amount_capturable=0)
            self.intents[intent_id] = intent
        return intent

    def void(self, intent_id: str) -> None:
        self.intents[intent_id] = replace(self.intents[intent_id], status="canceled", amount_capturable=0)


class FakeClaims:
    def __init__(self) -> None:
        self.owners: dict[str, str] = {}

    def claim(self, payment_intent: str, order_id: str) -> str:
        return self.owners.setdefault(payment_intent, order_id)


class FakeMailer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any]]] = []

    def send(self, template: str, to: str, data: dict[str, Any]) -> str:
        self.sent.append((template, to, data))
        return f"msg-{len(self.sent)}"


class FixedClock:
    def __init__(self) -> None:
        self.at = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at


class Ids:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"ord_{self.n:04d}"


class FakeSignals:
    """Records every answer given to a task token; tokens in `gone` are no longer waited on."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.gone: set[str] = set()

    def succeed(self, token: str, output: dict[str, Any]) -> bool:
        self.calls.append(("succeed", token, output))
        return token not in self.gone

    def fail(self, token: str, error: str, cause: str) -> bool:
        self.calls.append(("fail", token, (error, cause)))
        return token not in self.gone

    def heartbeat(self, token: str) -> bool:
        self.calls.append(("heartbeat", token, None))
        return token not in self.gone


class FakeRequests:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def send(self, node_id: str, request: dict[str, Any]) -> None:
        self.sent.append((node_id, request))


class FakeDocuments:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self.objects[key] = body

    def url(self, key: str, expires_s: int = 3600) -> str:
        return f"https://documents.test/{key}?expires={expires_s}"


class InMemoryNodes:
    def __init__(self, nodes: list[Node] | None = None) -> None:
        self.nodes = {n.node_id: n for n in nodes or []}

    def put(self, node: Node) -> bool:
        new = node.node_id not in self.nodes
        self.nodes[node.node_id] = node
        return new

    def get(self, node_id: str) -> Node | None:
        return self.nodes.get(node_id)

    def all(self) -> list[Node]:
        return list(self.nodes.values())


class FakeInventory:
    """Adjustments (once per reference) and one order's reservations: what cancel, compensation and
    returns touch. The routing and reservation paths are tested against DynamoDB on moto."""

    def __init__(self, reservations: list[Reservation] | None = None) -> None:
        self.adjustments: dict[str, tuple[str, list[StockChange]]] = {}
        self.held = list(reservations or [])

    def adjust(self, reference: str, body_hash: str, node_id: str, changes: list[StockChange], at: datetime) -> None:
        if reference in self.adjustments:
            raise AdjustmentReplay(reference)
        self.adjustments[reference] = (node_id, changes)

    def on_hand_delta(self, node_id: str, sku: str) -> int:
        changes = [c for node, cs in self.adjustments.values() if node == node_id for c in cs]
        return sum(c.on_hand_delta for c in changes if c.sku == sku)

    def reservations(self, order_id: str) -> list[Reservation]:
        return [r for r in self.held if r.order_id == order_id]

    def _mark(self, reservation: Reservation, status: str) -> bool:
        i = self.held.index(reservation)
        if self.held[i].status != "reserved":
            return False
        self.held[i] = replace(reservation, status=status)
        return True

    def release(self, reservation: Reservation) -> bool:
        return self._mark(reservation, "released")

    def consume(self, reservation: Reservation) -> bool:
        return self._mark(reservation, "consumed")

"""Small in-memory stand-ins for the ports (shared/ports.py), one per port, for unit tests of the
use cases. Each keeps the adapter's contract (conditions, replays, all-or-nothing), not its storage."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.domain import order as order_model
from shared.domain.audit import Stamp
from shared.domain.errors import ConcurrentUpdate, PaymentProviderUnavailable
from shared.domain.inventory import (
    AdjustmentType,
    AppliedAdjustment,
    ReorderSuggestion,
    Reservation,
    StockChange,
    StockLevel,
)
from shared.domain.order import Order
from shared.domain.payment import PaymentIntent
from shared.domain.principal import Principal
from shared.domain.refund_ledger import (
    LedgerEntry,
    Owed,
    RefundExceedsCaptured,
    RefundNotFound,
    RefundStatus,
    StripeRefund,
)
from shared.domain.routing import Node, Policy
from shared.domain.shards import Move, Shard
from shared.domain.shipping import Label, LabelRequest, RateQuote
from shared.ports import (
    AdjustmentReplay,
    CaptureRecord,
    DuplicateCapture,
    KeyRecord,
    LedgerQuery,
    Page,
    StockChanged,
)
from shared.usecases.reconciliation_log import ReconciliationRecord


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
    """Starts at `at` and moves on by `step` at every reading (a zero step stands still), so events
    recorded one after another get times in that order."""

    def __init__(self, at: datetime | None = None, step: timedelta = timedelta(seconds=1)) -> None:
        self.at = (at or datetime(2026, 11, 22, 9, 0, tzinfo=UTC)) - step
        self.step = step

    def now(self) -> datetime:
        self.at += self.step
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
        self.puts: list[str] = []  # every key written, in order (S3 bills each PUT)

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self.objects[key] = body
        self.puts.append(key)

    def url(self, key: str, expires_s: int = 3600) -> str:
        return f"https://documents.test/{key}?expires={expires_s}"


class FakeCarrier:
    """Quotes ground and overnight; records what was bought, and for which request."""

    name = "sandbox"

    def __init__(self) -> None:
        self.bought: list[str] = []
        self.requests: list[LabelRequest] = []

    def quote(self, request: LabelRequest) -> list[RateQuote]:
        return [RateQuote("sandbox", "ground", 900, "USD", 3), RateQuote("sandbox", "overnight", 2500, "USD", 1)]

    def buy(self, request: LabelRequest, quote: RateQuote) -> Label:
        self.bought.append(quote.service)
        self.requests.append(request)
        return Label("sandbox", quote.service, "1Z9WB0X10300000017", "https://t", quote.amount, "USD", "labels/x.pdf")


class InMemoryKeys:
    def __init__(self) -> None:
        self.items: dict[str, Principal] = {}
        self.stamps: dict[str, tuple[Stamp | None, Stamp | None]] = {}  # hash -> (created, revoked)

    def put(self, key_hash: str, principal: Principal, created: Stamp | None = None) -> None:
        self.items[key_hash] = principal
        self.stamps[key_hash] = (created, None)

    def get(self, key_hash: str) -> Principal | None:
        return self.items.get(key_hash)

    def revoke(self, principal_id: str, by: Stamp | None = None) -> int:
        hits = [h for h, p in self.items.items() if p.principal_id == principal_id and not p.revoked]
        for h in hits:
            p = self.items[h]
            self.items[h] = Principal(p.principal_id, p.kind, p.name, p.nodes, revoked=True)
            self.stamps[h] = (self.stamps[h][0], by)
        return len(hits)

    def records(self) -> list[KeyRecord]:
        return [KeyRecord(h[:12], p, *self.stamps[h]) for h, p in self.items.items()]


class InMemoryNodes:
    def __init__(self, *nodes: Node) -> None:
        self.nodes = {n.node_id: n for n in nodes}

    def put(self, node: Node) -> bool:
        new = node.node_id not in self.nodes
        self.nodes[node.node_id] = node
        return new

    def get(self, node_id: str) -> Node | None:
        return self.nodes.get(node_id)

    def all(self, *, fresh: bool = False) -> list[Node]:
        return list(self.nodes.values())

    def page(self, limit: int, after: str | None = None) -> Page[Node]:
        ahead = sorted(n for n in self.nodes if after is None or n > after)
        return Page([self.nodes[n] for n in ahead[:limit]], ahead[limit - 1] if len(ahead) > limit else None)


class InMemoryPolicies:
    def __init__(self, default: Policy | None = None) -> None:
        self.policies: dict[str, Policy] = {}
        self.default = default or Policy()

    def get(self, channel: str) -> Policy:
        return self.policies.get(channel, self.default)

    def put(self, channel: str, policy: Policy) -> None:
        self.policies[channel] = policy


class FakeRestock:
    def __init__(self) -> None:
        self.notified: list[list[str]] = []

    def stock_arrived(self, skus: Iterable[str]) -> None:
        self.notified.append(sorted(skus))


# --- inventory: one fake per role, over one shelf they share (as the adapter's roles share a table) ---


@dataclass
class Shelf:
    stock: dict[tuple[str, str], StockLevel] = field(default_factory=dict)  # (sku, node)
    reservations: dict[tuple[str, str], Reservation] = field(default_factory=dict)  # (order, node)
    capacity: dict[tuple[str, str], int] = field(default_factory=dict)  # (node, day) -> shipments
    adjustments: dict[str, str] = field(default_factory=dict)  # reference -> body hash
    applied: dict[str, AppliedAdjustment] = field(default_factory=dict)  # reference -> what moved, who
    reorders: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    backorders: dict[str, set[tuple[int, str, str]]] = field(default_factory=dict)  # sku -> (priority, at, order)
    leases: dict[str, tuple[str, float]] = field(default_factory=dict)  # order -> (owner, expires)
    # run before each reservation: a test's concurrent order taking stock between read and write
    before_reserve: list[Callable[[], None]] = field(default_factory=list)
    # shard counters of sharded pairs (sku, node) -> shard index -> counters; the level keeps the sums
    shards: dict[tuple[str, str], dict[int, Shard]] = field(default_factory=dict)
    # what was read, in order: tests of how much a decision reads
    reads: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    def level(self, sku: str, node_id: str) -> StockLevel:
        return self.stock.get((sku, node_id), StockLevel(sku, node_id))

    def put(self, sku: str, node_id: str, on_hand: int, safety_stock: int = 0, reserved: int = 0) -> None:
        self.stock[(sku, node_id)] = StockLevel(sku, node_id, on_hand, reserved, safety_stock)


class _OnShelf:
    def __init__(self, shelf: Shelf | None = None) -> None:
        self.shelf = shelf or Shelf()


class InMemoryStockLevels(_OnShelf):
    def stock_of(self, sku: str) -> list[StockLevel]:
        return [level for (s, _), level in sorted(self.shelf.stock.items()) if s == sku]

    def stock_for(self, skus: Iterable[str], consistent: bool = True) -> dict[tuple[str, str], StockLevel]:
        self.shelf.reads.append(("stock_for", tuple(sorted(set(skus)))))
        wanted = set(skus)
        return {key: level for key, level in sorted(self.shelf.stock.items()) if key[0] in wanted}

    def levels_at(self, node_id: str, skus: Iterable[str]) -> dict[str, StockLevel]:
        return {sku: self.shelf.level(sku, node_id) for sku in sorted(set(skus))}


class InMemoryStockAdjustments(_OnShelf):
    def adjust(
        self,
        reference: str,
        body_hash: str,
        node_id: str,
        changes: list[StockChange],
        at: datetime,
        stamp: Stamp | None = None,
        kind: AdjustmentType | None = None,
    ) -> None:
        if reference in self.shelf.adjustments:
            raise AdjustmentReplay(self.shelf.adjustments[reference])
        after = dict(self.shelf.stock)
        for change in changes:
            level = after.get((change.sku, node_id), StockLevel(change.sku, node_id))
            safety = level.safety_stock
            if change.safety_stock is not None:
                seen, safety = change.safety_stock
                if level.safety_stock != seen:
                    raise StockChanged(f"safety stock of {change.sku} changed")
            if change.on_hand_delta < 0 and level.free < -change.on_hand_delta:
                raise StockChanged(f"too few free units of {change.sku}")
            if change.count_seen is not None and level.on_hand != change.count_seen:
                raise StockChanged(f"on hand of {change.sku} changed since it was counted")
            point, quantity = change.reorder or (None, None)
            after[(change.sku, node_id)] = replace(
                level,
                on_hand=level.on_hand + change.on_hand_delta,
                safety_stock=safety,
                reorder_point=level.reorder_point if point is None else point,
                reorder_quantity=level.reorder_quantity if quantity is None else quantity,
            )
        self.shelf.stock = after
        self.shelf.adjustments[reference] = body_hash
        moved = tuple((c.sku, c.on_hand_delta) for c in changes)
        self.shelf.applied[reference] = AppliedAdjustment(reference, node_id, kind, moved, stamp)

    def adjustment_hash(self, reference: str) -> str | None:
        return self.shelf.adjustments.get(reference)

    def adjustment(self, reference: str) -> AppliedAdjustment | None:
        return self.shelf.applied.get(reference)


class InMemoryReservations(_OnShelf):
    def reserve(self, order_id: str, node_id: str, quantities: dict[str, int], day: str, capacity: int | None) -> bool:
        for race in self.shelf.before_reserve:
            race()
        existing = self.shelf.reservations.get((order_id, node_id))
        if existing is not None and existing.status != "released":
            return True  # an earlier attempt reserved here (or it shipped)
        levels = {sku: self.shelf.stock.get((sku, node_id)) for sku in quantities}
        if any(lvl is None or lvl.free - lvl.safety_stock < quantities[sku] for sku, lvl in levels.items()):
            return False
        used = self.shelf.capacity.get((node_id, day), 0)
        if capacity is not None and used >= capacity:
            return False
        for sku, lvl in levels.items():
            assert lvl is not None
            self.shelf.stock[(sku, node_id)] = replace(lvl, reserved=lvl.reserved + quantities[sku])
        if capacity is not None:
            self.shelf.capacity[(node_id, day)] = used + 1
        self.shelf.reservations[(order_id, node_id)] = Reservation(
            order_id, node_id, json.loads(json.dumps(quantities)), "reserved", day, capacity is not None
        )
        return True

    def reservations(self, order_id: str) -> list[Reservation]:
        return [r for (o, _), r in sorted(self.shelf.reservations.items()) if o == order_id]

    def release(self, reservation: Reservation) -> bool:
        return self._settle(reservation, "released")

    def consume(self, reservation: Reservation) -> bool:
        return self._settle(reservation, "consumed")

    def _settle(self, reservation: Reservation, status: str) -> bool:
        key = (reservation.order_id, reservation.node_id)
        current = self.shelf.reservations.get(key)
        if current is None or current.status != "reserved":
            return False
        for sku, quantity in current.quantities.items():
            lvl = self.shelf.level(sku, current.node_id)
            gone = quantity if status == "consumed" else 0
            self.shelf.stock[(sku, current.node_id)] = replace(
                lvl, reserved=lvl.reserved - quantity, on_hand=lvl.on_hand - gone
            )
        if status == "released" and current.capacity_counted:
            self.shelf.capacity[(current.node_id, current.day)] -= 1
        self.shelf.reservations[key] = replace(current, status=status)
        return True


class InMemoryCapacity(_OnShelf):
    def capacity_used(self, node_ids: Iterable[str], day: str) -> dict[str, int]:
        self.shelf.reads.append(("capacity_used", tuple(sorted(set(node_ids)))))
        return {n: self.shelf.capacity[(n, day)] for n in sorted(set(node_ids)) if (n, day) in self.shelf.capacity}


class InMemoryReorders(_OnShelf):
    def suggest_reorder(self, suggestion: ReorderSuggestion, at: datetime) -> bool:
        key = (suggestion.sku, suggestion.node_id)
        if key in self.shelf.reorders:
            return False
        self.shelf.reorders[key] = {
            "sku": suggestion.sku,
            "node_id": suggestion.node_id,
            "quantity": suggestion.quantity,
            "available": suggestion.available,
            "reorder_point": suggestion.reorder_point,
            "suggested_at": at.isoformat(),
        }
        return True

    def close_reorder(self, sku: str, node_id: str) -> None:
        self.shelf.reorders.pop((sku, node_id), None)

    def reorder_suggestions(self, limit: int, after: str | None = None) -> Page[dict[str, Any]]:
        by_position = {f"{sku}#{node}": s for (sku, node), s in self.shelf.reorders.items()}
        ahead = sorted(p for p in by_position if after is None or p > after)
        return Page([by_position[p] for p in ahead[:limit]], ahead[limit - 1] if len(ahead) > limit else None)


class InMemoryBackorders(_OnShelf):
    def add_backorder(self, order_id: str, skus: Iterable[str], priority: int, created_at: datetime) -> None:
        for sku in set(skus):
            self.shelf.backorders.setdefault(sku, set()).add((priority, created_at.isoformat(), order_id))

    def remove_backorder(self, order_id: str, skus: Iterable[str], priority: int, created_at: datetime) -> None:
        for sku in set(skus):
            self.shelf.backorders.get(sku, set()).discard((priority, created_at.isoformat(), order_id))

    def backorders(self, sku: str) -> list[str]:
        return [order_id for _, _, order_id in sorted(self.shelf.backorders.get(sku, set()))]


class InMemoryRoutingLease(_OnShelf):
    def claim(self, order_id: str, owner: str, now: float, lease_s: int) -> bool:
        held = self.shelf.leases.get(order_id)
        if held is not None and held[0] != owner and held[1] >= int(now):
            return False
        self.shelf.leases[order_id] = (owner, int(now) + lease_s)
        return True

    def unclaim(self, order_id: str, owner: str) -> None:
        if self.shelf.leases.get(order_id, ("", 0))[0] == owner:
            del self.shelf.leases[order_id]


class InMemoryStockShards(_OnShelf):
    """Shard counts and counters beside the shelf's summed levels (only what the shard use cases need)."""

    def shards_of(self, sku: str, node_id: str) -> tuple[StockLevel, list[Shard]]:
        level = self.shelf.level(sku, node_id)
        parts = self.shelf.shards.get((sku, node_id)) or {0: Shard(0, level.on_hand, level.reserved, level.available)}
        return level, [parts[i] for i in sorted(parts)]

    def set_shards(self, sku: str, node_id: str, count: int) -> bool:
        level = self.shelf.level(sku, node_id)
        if count < level.shards:
            return False
        self.shelf.stock[(sku, node_id)] = replace(level, shards=count)
        self.shelf.shards.setdefault((sku, node_id), dict(enumerate(self.shards_of(sku, node_id)[1])))
        return True

    def move_units(self, sku: str, node_id: str, move: Move) -> bool:
        parts = self.shelf.shards[(sku, node_id)]
        source, target = parts[move.source], parts.get(move.target, Shard(move.target))
        if source.available < move.units:
            return False
        parts[move.source] = replace(
            source, on_hand=source.on_hand - move.units, available=source.available - move.units
        )
        parts[move.target] = replace(
            target, on_hand=target.on_hand + move.units, available=target.available + move.units
        )
        return True


class InMemoryInventory(
    InMemoryStockShards,
    InMemoryStockLevels,
    InMemoryStockAdjustments,
    InMemoryReservations,
    InMemoryCapacity,
    InMemoryReorders,
    InMemoryBackorders,
    InMemoryRoutingLease,
):
    """Every inventory role over one shelf, as DynamoDBInventory implements them over one table."""


# --- finance ----------------------------------------------------------------------------------------


def ledger_position(entry: LedgerEntry) -> str:
    """The entry's sort key in the ledger's listing partitions: "<created_at UTC>#<refund_id>"."""
    return f"{entry.created_at.astimezone(UTC).isoformat(timespec='microseconds')}#{entry.refund_id}"


def _matching(entries: Iterable[LedgerEntry], q: LedgerQuery) -> list[LedgerEntry]:
    """The entries a ledger query lists, as the table sorts them."""
    if q.order_id is None and q.since is None and q.status is not RefundStatus.PENDING:
        raise ValueError("list needs order_id, since, or status=PENDING")
    return sorted(
        (
            e
            for e in entries
            if (q.status is None or e.status is q.status)
            and (q.order_id is None or e.order_id == q.order_id)
            and (q.since is None or e.created_at >= q.since)
            and (q.until is None or e.created_at < q.until)
        ),
        key=ledger_position,
    )


class InMemoryLedger:
    """Entries listed by creation time, as DynamoDBLedger.list does; opened and settled under the
    same conditions (the refunded total within what was captured; a settled entry stays settled)."""

    def __init__(self, entries: list[LedgerEntry] | None = None) -> None:
        self.entries = list(entries or [])
        self.captured: dict[str, int] = {}
        self.listed: list[tuple[datetime | None, datetime | None]] = []
        self.paged: list[tuple[LedgerQuery, int, str | None]] = []
        self.owing: dict[tuple[str, str], Owed] = {}

    def open(self, entry: LedgerEntry, captured: int) -> LedgerEntry:
        if entry.status is not RefundStatus.PENDING:
            raise ValueError("a refund is opened PENDING")
        existing = self.find(entry.idempotency_key)
        if existing is not None:
            return existing
        if self.totals(entry.payment_intent)[1] + entry.amount > captured:
            raise RefundExceedsCaptured(entry.payment_intent, entry.amount, captured)
        self.captured[entry.payment_intent] = captured
        self.entries.append(entry)
        self.owing.pop((entry.order_id, entry.cause_id), None)
        return entry

    def owe(self, order_id: str, cause_id: str, at: datetime) -> None:
        self.owing.setdefault((order_id, cause_id), Owed(order_id, cause_id, at))

    def discharge(self, order_id: str, cause_id: str) -> None:
        self.owing.pop((order_id, cause_id), None)

    def owed(self) -> list[Owed]:
        return sorted(self.owing.values(), key=lambda o: o.since)

    def settle(
        self,
        refund_id: str,
        status: RefundStatus,
        stripe_refund_id: str | None,
        failure_reason: str | None,
        at: datetime,
    ) -> LedgerEntry:
        current = self.get(refund_id)
        if current is None:
            raise RefundNotFound(refund_id)
        settled = current.settled(status, stripe_refund_id, failure_reason, at)
        if settled is None:
            return current
        self.entries[self.entries.index(current)] = settled
        return settled

    def find(self, idempotency_key: str) -> LedgerEntry | None:
        return next((e for e in self.entries if e.idempotency_key == idempotency_key), None)

    def get(self, refund_id: str) -> LedgerEntry | None:
        return next((e for e in self.entries if e.refund_id == refund_id), None)

    def by_stripe_refund(self, stripe_refund_id: str) -> LedgerEntry | None:
        return next((e for e in self.entries if e.stripe_refund_id == stripe_refund_id), None)

    def list(
        self,
        status: RefundStatus | None = None,
        order_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[LedgerEntry]:
        found = _matching(self.entries, LedgerQuery(status, order_id, since, until))
        self.listed.append((since, until))
        return found

    def page(self, query: LedgerQuery, limit: int, after: str | None = None) -> Page[LedgerEntry]:
        """The entries list() answers, by their position (as the table sorts them), after `after`."""
        self.paged.append((query, limit, after))
        ahead = [e for e in _matching(self.entries, query) if after is None or ledger_position(e) > after]
        page = ahead[:limit]
        return Page(page, ledger_position(page[-1]) if len(ahead) > limit else None)

    def totals(self, payment_intent: str) -> tuple[int, int]:
        """(captured, refunded): a FAILED refund gives its amount back."""
        refunded = sum(
            e.amount for e in self.entries if e.payment_intent == payment_intent and e.status is not RefundStatus.FAILED
        )
        return (self.captured.get(payment_intent, 0), refunded)


class InMemoryStripeRefunds:
    """Stripe's refunds: one per ledger entry (found by its metadata), settled at once unless
    `status` says otherwise; `down` makes every call an outage."""

    def __init__(self, refunds: list[StripeRefund] | None = None, status: str = "succeeded") -> None:
        self.refunds = list(refunds or [])
        self.asked: list[tuple[datetime, datetime]] = []
        self.status = status
        self.down = False

    def refund(self, entry: LedgerEntry) -> StripeRefund:
        found = self.find(entry)
        if found is not None:
            return found
        made = StripeRefund(
            id=f"re_{len(self.refunds) + 1:04d}",
            payment_intent=entry.payment_intent,
            amount=entry.amount,
            currency=entry.currency,
            status=self.status,
            created=entry.created_at,
            metadata_refund_id=entry.refund_id,
        )
        self.refunds.append(made)
        return made

    def find(self, entry: LedgerEntry) -> StripeRefund | None:
        if self.down:
            raise PaymentProviderUnavailable("stripe is down")
        return next((r for r in self.refunds if r.metadata_refund_id == entry.refund_id), None)

    def list_refunds(self, created_gte: datetime, created_lt: datetime) -> list[StripeRefund]:
        self.asked.append((created_gte, created_lt))
        return [r for r in self.refunds if created_gte <= r.created < created_lt]


class InMemoryReports:
    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self.objects[key] = (body, content_type)

    def get(self, key: str) -> bytes | None:
        found = self.objects.get(key)
        return found[0] if found else None

    def url(self, key: str, expires_s: int = 3600) -> str:
        return f"https://reports.example/{key}?expires={expires_s}"


class InMemoryReconciliations:
    """The reconciliation log: records by position, listed newest first below a position."""

    def __init__(self) -> None:
        self.records: dict[str, ReconciliationRecord] = {}
        self.asked: list[tuple[int, str | None]] = []

    def add(self, record: ReconciliationRecord) -> None:
        self.records[record.position] = record

    def newest(self, limit: int, before: str | None) -> list[ReconciliationRecord]:
        self.asked.append((limit, before))
        below = sorted((p for p in self.records if before is None or p < before), reverse=True)
        return [self.records[p] for p in below[:limit]]


class FakeInventory:
    """Adjustments (once per reference) and one order's reservations: what cancel, compensation and
    returns touch. The routing and reservation paths are tested against DynamoDB on moto."""

    def __init__(self, reservations: list[Reservation] | None = None) -> None:
        self.adjustments: dict[str, tuple[str, list[StockChange]]] = {}
        self.held = list(reservations or [])

    def adjust(
        self,
        reference: str,
        body_hash: str,
        node_id: str,
        changes: list[StockChange],
        at: datetime,
        stamp: Stamp | None = None,
        kind: AdjustmentType | None = None,
    ) -> None:
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

"""Analytics facts: an order's lifecycle, as immutable, PII-free rows. No I/O.

Facts are derived from the order's history (append-only), so the same order always yields the same
facts with the same ids: a stream record's facts are those of its new image that its old image did
not have yet, and a backfill derives all of them again. A fact id is a hash of the order, the
history entry (its position) and what the row is about, so a redelivered record or a second
backfill produces the same ids and the reports keep one row per id.

No names, emails, phone numbers or street addresses: the ship-to becomes its region and the first
three characters of its postal code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from shared.domain.order import HistoryEntry, Order, OrderStatus
from shared.domain.refund_ledger import LedgerEntry, RefundStatus
from shared.records import record

SCHEMA_VERSION = 1
POSTAL_PREFIX = 3


@record
class Fact:
    fact_id: str
    event_type: str
    occurred_at: datetime
    order_id: str
    channel: str | None = None
    node_id: str | None = None
    shipment_id: str | None = None
    line_id: str | None = None
    sku: str | None = None
    quantity: int | None = None
    # minor units: line amount, order total, label cost or refund, by event type
    amount: int | None = None
    shipping_amount: int | None = None
    currency: str | None = None
    region: str | None = None
    postal_prefix: str | None = None
    service_level: str | None = None
    delivery_method: str | None = None
    # return reason, refund cause, exception type, hold reason or operator action
    reason: str | None = None
    schema_version: int = SCHEMA_VERSION

    def row(self) -> dict[str, Any]:
        """The row as stored: times as UTC 'yyyy-MM-dd HH:mm:ss.SSS' (Athena's JSON timestamp form)."""
        row = asdict(self)
        row["occurred_at"] = stamp(self.occurred_at)
        return row


# (column, Athena type): the Glue table and the local DuckDB table are both declared from this
COLUMNS: tuple[tuple[str, str], ...] = (
    ("fact_id", "string"),
    ("event_type", "string"),
    ("occurred_at", "timestamp"),
    ("order_id", "string"),
    ("channel", "string"),
    ("node_id", "string"),
    ("shipment_id", "string"),
    ("line_id", "string"),
    ("sku", "string"),
    ("quantity", "int"),
    ("amount", "bigint"),
    ("shipping_amount", "bigint"),
    ("currency", "string"),
    ("region", "string"),
    ("postal_prefix", "string"),
    ("service_level", "string"),
    ("delivery_method", "string"),
    ("reason", "string"),
    ("schema_version", "int"),
)


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.") + f"{at.astimezone(UTC).microsecond // 1000:03d}"


def fact_id(*parts: str | int) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]


# Statuses that are an exception a person has to look at, and the type each is counted under.
_EXCEPTION_EVENTS = {
    "payment_failed": "payment_hold",
    "routing_held": "unfillable",
    "exception": "fulfilment_failed",
}
_SHIPMENT_EVENTS = {
    "shipment_packed": "packed",
    "shipment_shipped": "shipped",
    "shipment_ready_for_pickup": "shipped",
    "shipment_delivered": "delivered",
    "shipment_collected": "delivered",
}
_ACTION_PREFIX = "action_"


class _Builder:
    def __init__(self, order: Order) -> None:
        self.order = order
        ship_to = order.ship_to  # none for a pickup order
        self.common: dict[str, Any] = {
            "order_id": order.order_id,
            "channel": order.channel,
            "currency": order.currency,
            "region": ship_to.region if ship_to else None,
            "postal_prefix": ship_to.postal_code[:POSTAL_PREFIX] if ship_to else None,
            "service_level": order.delivery.service_level,
            "delivery_method": order.delivery.method,
        }

    def fact(self, index: int, event_type: str, entry: HistoryEntry, about: str = "", **values: Any) -> Fact:
        fields = {**self.common, **values}
        return Fact(fact_id(self.order.order_id, index, event_type, about), event_type, entry.at, **fields)


def order_facts(order: Order) -> list[Fact]:
    """Every fact the order's history holds so far, in history order."""
    b = _Builder(order)
    facts: list[Fact] = []
    open_exception: tuple[int, str] | None = None  # (index raised, type)
    delivery_exceptions: dict[str, int] = {}  # shipment id -> index raised
    backordered_once = False
    for index, entry in enumerate(order.history):
        if open_exception is not None and entry.status not in (OrderStatus.ON_HOLD, OrderStatus.EXCEPTION):
            facts.append(b.fact(index, "exception_resolved", entry, reason=open_exception[1]))
            open_exception = None
        if entry.event in _EXCEPTION_EVENTS:
            kind = _EXCEPTION_EVENTS[entry.event]
            if open_exception is None:
                open_exception = (index, kind)
                facts.append(b.fact(index, "exception_raised", entry, reason=kind))
            if entry.event == "payment_failed":
                facts.append(b.fact(index, "payment_held", entry, reason=order.hold_reason or entry.cause))
        if entry.event == "backordered":
            backordered_once = True
        facts.extend(_entry_facts(b, index, entry, delivery_exceptions, backordered_once))
    return facts


def _shipment_of(entry: HistoryEntry) -> str:
    return entry.cause.split(" ", 1)[0].rstrip(":")


def _entry_facts(
    b: _Builder, index: int, entry: HistoryEntry, delivery_exceptions: dict[str, int], backordered: bool
) -> Iterator[Fact]:
    order, event = b.order, entry.event
    if event == "captured":
        totals = order.totals
        yield b.fact(index, "captured", entry, amount=totals.lines, shipping_amount=totals.shipping)
        for line in order.lines:
            yield b.fact(
                index, "captured_line", entry, line.line_id, line_id=line.line_id, sku=line.sku,
                quantity=line.quantity, amount=line.amount,
            )  # fmt: skip
    elif event == "payment_verified":
        yield b.fact(index, "payment_checked", entry, amount=order.captured_amount)
    elif event == "reserved" and order.routing is not None:
        # `reason` says whether stock had to arrive first: fill rate counts reservations at first try
        first = "after_backorder" if backordered else "first_try"
        for a in order.routing.allocations:
            yield b.fact(
                index, "reserved", entry, f"{a.node_id}/{a.line_id}", node_id=a.node_id, line_id=a.line_id,
                sku=a.sku, quantity=a.quantity, reason=first,
            )  # fmt: skip
    elif event == "backordered":
        yield b.fact(index, "backordered", entry, reason=entry.cause)
    elif event == "released":
        for s in order.shipments:
            if s.replaces is None:
                units = sum(line.quantity for line in s.lines)
                yield b.fact(
                    index, "released", entry, s.shipment_id, node_id=s.node_id, shipment_id=s.shipment_id,
                    quantity=units,
                )  # fmt: skip
    elif event in _SHIPMENT_EVENTS:
        yield from _shipment_facts(b, index, entry, delivery_exceptions)
    elif event == "shipment_delivery_exception":
        shipment_id = _shipment_of(entry)
        delivery_exceptions.setdefault(shipment_id, index)
        yield b.fact(index, "exception_raised", entry, shipment_id=shipment_id, reason="delivery_exception")
    elif event in ("shipment_in_transit", "shipment_out_for_delivery"):
        yield from _delivery_resolved(b, index, entry, delivery_exceptions)
    elif event in ("cancelled", "partially_cancelled") and order.cancellation is not None:
        units = sum(q for _, q in order.cancellation.lines)
        yield b.fact(index, "cancelled", entry, quantity=units, reason=order.cancellation.reason)
    elif event == "return_requested":
        yield from _return_facts(b, index, entry, "return_opened")
    elif event == "return_received":
        yield from _return_facts(b, index, entry, "return_received")
    elif event == "fulfilment_problem":
        yield b.fact(index, "exception_raised", entry, reason="fulfilment_problem")
    if entry.cause.startswith("by ops:") or event.startswith(_ACTION_PREFIX):
        action = event.removeprefix(_ACTION_PREFIX)
        yield b.fact(index, "operator_action", entry, "action", reason=action)


def _shipment_facts(
    b: _Builder, index: int, entry: HistoryEntry, delivery_exceptions: dict[str, int]
) -> Iterator[Fact]:
    shipment_id = _shipment_of(entry)
    shipment = next((s for s in b.order.shipments if s.shipment_id == shipment_id), None)
    if shipment is None:
        return
    event_type = _SHIPMENT_EVENTS[entry.event]
    units = sum(line.quantity for line in shipment.lines)
    values: dict[str, Any] = {"node_id": shipment.node_id, "shipment_id": shipment_id, "quantity": units}
    if event_type == "shipped" and shipment.label is not None:
        values.update(amount=shipment.label.amount, currency=shipment.label.currency)
    elif event_type == "shipped":
        values["amount"] = 0  # handed over at the store: no label bought
    yield b.fact(index, f"shipment_{event_type}", entry, **values)
    if event_type == "delivered":
        yield from _delivery_resolved(b, index, entry, delivery_exceptions)


def _delivery_resolved(
    b: _Builder, index: int, entry: HistoryEntry, delivery_exceptions: dict[str, int]
) -> Iterator[Fact]:
    shipment_id = _shipment_of(entry)
    if delivery_exceptions.pop(shipment_id, None) is not None:
        yield b.fact(index, "exception_resolved", entry, shipment_id=shipment_id, reason="delivery_exception")


def _return_facts(b: _Builder, index: int, entry: HistoryEntry, event_type: str) -> Iterator[Fact]:
    rma_id = _shipment_of(entry)
    rma = next((r for r in b.order.returns if r.rma_id == rma_id), None)
    if rma is None:
        return
    for line in rma.lines:
        quantity = line.quantity if event_type == "return_opened" else line.resellable + line.damaged
        yield b.fact(
            index, event_type, entry, line.line_id, node_id=rma.node_id, shipment_id=rma_id, line_id=line.line_id,
            sku=line.sku, quantity=quantity, reason=rma.reason,
        )  # fmt: skip


def new_facts(old: Order | None, new: Order) -> list[Fact]:
    """The facts a change adds: those of the new image whose ids the old image did not have."""
    seen = {f.fact_id for f in order_facts(old)} if old is not None else set()
    return [f for f in order_facts(new) if f.fact_id not in seen]


def refund_facts(old: LedgerEntry | None, new: LedgerEntry) -> list[Fact]:
    """A refund settled at Stripe: one fact, the first time the entry is SUCCEEDED."""
    if new.status != RefundStatus.SUCCEEDED or (old is not None and old.status == RefundStatus.SUCCEEDED):
        return []
    at = new.settled_at or new.created_at
    return [
        Fact(
            fact_id(new.order_id, "refund", new.refund_id),
            "refund_settled",
            at,
            new.order_id,
            amount=new.amount,
            currency=new.currency,
            reason=new.reason.value,
        )
    ]


def unique(facts: Iterable[Fact]) -> list[Fact]:
    """One fact per id, the first seen (a batch may hold the same change twice)."""
    seen: set[str] = set()
    out: list[Fact] = []
    for f in facts:
        if f.fact_id not in seen:
            seen.add(f.fact_id)
            out.append(f)
    return out


def partition_of(at: datetime) -> str:
    """The hour partition a fact written at `at` lands in: Firehose's default 'yyyy/MM/dd/HH' prefix."""
    return at.astimezone(UTC).strftime("%Y/%m/%d/%H")


def by_partition(facts: Sequence[Fact]) -> dict[str, list[Fact]]:
    """Facts grouped by the hour they happened (where a backfill writes them)."""
    groups: dict[str, list[Fact]] = {}
    for f in facts:
        groups.setdefault(partition_of(f.occurred_at), []).append(f)
    return groups

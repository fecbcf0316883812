"""Receive, adjust or count stock at a node, idempotent on the adjustment's reference."""

from __future__ import annotations

import hashlib
import json

from shared.domain.audit import Actor, Stamp
from shared.domain.errors import DomainError
from shared.domain.inventory import (
    AdjustmentType,
    InsufficientStock,
    StockChange,
    StockLevel,
    on_hand_delta,
    reorder_suggestion,
)
from shared.ports import AdjustmentReplay, Clock, Nodes, RestockNotifier, StockChanged, StockKeeping
from shared.records import record
from shared.schemas.inventory import AdjustmentLine, AnyAdjustment, CountLine, ReceiptLine

ATTEMPTS = 4


class UnknownNode(DomainError):
    code = "not_found"
    http_status = 404


class AdjustmentConflict(DomainError):
    code = "idempotency_conflict"
    http_status = 409


@record
class AdjustmentOutcome:
    levels: list[StockLevel]
    replayed: bool


def adjust_stock(
    request: AnyAdjustment,
    by: Actor,
    *,
    inventory: StockKeeping,
    nodes: Nodes,
    notifier: RestockNotifier,
    clock: Clock,
) -> AdjustmentOutcome:
    """`by`: the principal adjusting, kept with the adjustment (with its reason) for the audit trail."""
    if nodes.get(request.node_id) is None:
        raise UnknownNode(f"node {request.node_id} not found; create it with PUT /v1/nodes/{request.node_id}")
    digest = hashlib.sha256(json.dumps(request.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()
    skus = [line.sku for line in request.lines]
    # A replay is answered before the stock rules are checked again: they held when it was applied.
    seen = inventory.adjustment_hash(request.reference)
    if seen is not None:
        return _replay(request, seen, digest, inventory, notifier)
    changes: list[StockChange] = []
    for attempt in range(ATTEMPTS):
        current = _levels(inventory, request.node_id, skus)
        changes = [_change(request, line, current[line.sku]) for line in request.lines]
        try:
            now = clock.now()
            stamp = Stamp(by, now, request.reason)
            kind = AdjustmentType(request.type)
            inventory.adjust(request.reference, digest, request.node_id, changes, now, stamp, kind)
            break
        except AdjustmentReplay as replay:  # applied concurrently under the same reference
            return _replay(request, replay.body_hash, digest, inventory, notifier)
        except StockChanged as changed:
            if attempt == ATTEMPTS - 1:
                raise InsufficientStock(
                    "the stock changed while it was adjusted, or would drop below what is reserved; read it again"
                ) from changed
    after = _levels(inventory, request.node_id, skus)
    for level in after.values():
        suggestion = reorder_suggestion(level)
        if suggestion is not None:
            inventory.suggest_reorder(suggestion, clock.now())
        elif level.reorder_point is not None:
            inventory.close_reorder(level.sku, level.node_id)
    arrived = [c.sku for c in changes if after[c.sku].available > current[c.sku].available]
    if arrived:
        notifier.stock_arrived(arrived)
    return AdjustmentOutcome(list(after.values()), replayed=False)


def _replay(
    request: AnyAdjustment, seen: str, digest: str, inventory: StockKeeping, notifier: RestockNotifier
) -> AdjustmentOutcome:
    if seen != digest:
        raise AdjustmentConflict(f"reference {request.reference!r} was already used for a different adjustment")
    # the first call may have died before it told the allocator; telling it twice is harmless
    added = [line.sku for line in request.lines if request.type != "count" and line.quantity > 0]
    if added:
        notifier.stock_arrived(added)
    skus = [line.sku for line in request.lines]
    return AdjustmentOutcome(list(_levels(inventory, request.node_id, skus).values()), replayed=True)


def _levels(inventory: StockKeeping, node_id: str, skus: list[str]) -> dict[str, StockLevel]:
    return inventory.levels_at(node_id, skus)


def _change(request: AnyAdjustment, line: ReceiptLine | AdjustmentLine | CountLine, level: StockLevel) -> StockChange:
    kind = AdjustmentType(request.type)
    safety = None if line.safety_stock is None else (level.safety_stock, line.safety_stock)
    reorder = None
    if line.reorder_point is not None or line.reorder_quantity is not None:
        reorder = (line.reorder_point, line.reorder_quantity)
    return StockChange(
        sku=line.sku,
        on_hand_delta=on_hand_delta(kind, line.quantity, level),
        safety_stock=safety,
        count_seen=level.on_hand if kind == AdjustmentType.COUNT else None,
        reorder=reorder,
        shards=level.shards,
    )

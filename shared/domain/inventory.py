"""Stock per (sku, node) and the rules that change it. No I/O.

A stock level keeps on hand, reserved and safety stock, and two derived counters that the
storage keeps alongside so conditional writes can test them without arithmetic:
free = on hand - reserved (what may physically leave), available = free - safety stock
(what may be promised). on hand = available + reserved + safety stock, always.
"""

from __future__ import annotations

from enum import StrEnum

from shared.domain.audit import Stamp
from shared.domain.errors import DomainError
from shared.records import record


class AdjustmentType(StrEnum):
    RECEIPT = "receipt"  # goods in: quantity added to on hand
    ADJUSTMENT = "adjustment"  # found or lost units: quantity (+ or -) added to on hand
    COUNT = "count"  # a stock count: on hand becomes quantity


@record
class AppliedAdjustment:
    """An adjustment as applied under its reference: what moved at the node, and who moved it (the
    stock's audit trail)."""

    reference: str
    node_id: str
    # receipt, adjustment or count; None for Waybill's own (a return restocked, a cancelled shipment)
    type: AdjustmentType | None
    changes: tuple[tuple[str, int], ...]  # (sku, units added to on hand; negative: taken away)
    stamp: Stamp | None  # None for Waybill's own: the order's history says who caused it


class InsufficientStock(DomainError):
    code = "insufficient_stock"
    http_status = 409


@record
class StockLevel:
    sku: str
    node_id: str
    on_hand: int = 0
    reserved: int = 0
    safety_stock: int = 0
    reorder_point: int | None = None
    reorder_quantity: int | None = None
    shards: int = 1  # items the counters are split over (docs/hot-sku.md); the figures above are their sums

    @property
    def free(self) -> int:
        return self.on_hand - self.reserved

    @property
    def available(self) -> int:
        """Available to promise; never negative even when safety stock exceeds what is free."""
        return max(0, self.free - self.safety_stock)

    @property
    def below_reorder_point(self) -> bool:
        return self.reorder_point is not None and self.available < self.reorder_point


def on_hand_delta(kind: AdjustmentType, quantity: int, current: StockLevel) -> int:
    """How much on hand changes; refuses to take away units that are reserved for orders."""
    delta = quantity - current.on_hand if kind == AdjustmentType.COUNT else quantity
    if kind == AdjustmentType.RECEIPT and quantity <= 0:
        raise InsufficientStock(f"a receipt of {current.sku} must add units, got {quantity}")
    if current.on_hand + delta < current.reserved:
        raise InsufficientStock(
            f"{current.sku} at {current.node_id}: on hand cannot go below the {current.reserved} reserved units"
        )
    return delta


@record
class ReorderSuggestion:
    sku: str
    node_id: str
    quantity: int
    available: int
    reorder_point: int


def reorder_suggestion(level: StockLevel) -> ReorderSuggestion | None:
    """A purchase-order suggestion when available has fallen below the reorder point."""
    if not level.below_reorder_point or level.reorder_point is None:
        return None
    quantity = level.reorder_quantity or max(1, level.reorder_point - level.available)
    return ReorderSuggestion(level.sku, level.node_id, quantity, level.available, level.reorder_point)


@record
class StockChange:
    """One line of an adjustment, already resolved against the stock it was read from."""

    sku: str
    on_hand_delta: int = 0
    safety_stock: tuple[int, int] | None = None  # (seen, new)
    count_seen: int | None = None  # on hand the count was computed from
    reorder: tuple[int | None, int | None] | None = None  # (point, quantity)
    shards: int = 1  # the (sku, node)'s shard count as read


@record
class Reservation:
    order_id: str
    node_id: str
    quantities: dict[str, int]
    status: str  # reserved | released | consumed
    day: str
    capacity_counted: bool  # it took one of the node's daily shipments
    # the units each sku took from each shard of a sharded (sku, node); None: all from its own item
    takes: dict[str, dict[int, int]] | None = None

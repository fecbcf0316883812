"""API models for nodes, stock adjustments, availability and routing policies."""

from __future__ import annotations

from typing import Annotated, Literal, TypeVar

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, StringConstraints

from shared.domain.shards import MAX_SHARDS
from shared.schemas.audit import StampView
from shared.schemas.base import ApiModel
from shared.schemas.fields import Sku, Text, integral

NodeId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$")]
REFERENCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:\-/#]{0,127}$"
Reference = Annotated[str, StringConstraints(pattern=REFERENCE_PATTERN)]
MAX_ADJUSTMENT_LINES = 50
_I = BeforeValidator(integral)  # 2.0 counts as the integer 2, as in JSON Schema


class _In(ApiModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class NodeAddress(_In):
    """Where the node is: lat/lon for routing; the street address is printed on its labels."""

    line1: Text | None = None
    line2: Text | None = None
    city: Text | None = None
    region: Annotated[str, StringConstraints(max_length=100)] | None = None
    postal_code: Annotated[str, StringConstraints(max_length=20)] | None = None
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None
    lat: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
    lon: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


class NodeIn(_In):
    """A place that fulfils orders. Routing needs lat/lon to estimate distance and carrier cost."""

    kind: Literal["warehouse", "store", "3pl", "dropship"]
    name: Text | None = None
    address: NodeAddress | None = None
    ships: bool = True
    pickup: bool = False
    handling_cost: Annotated[int, Field(ge=0, le=1_000_000, description="Minor units per shipment"), _I] = 0
    daily_capacity: Annotated[int, Field(ge=1, le=10_000_000, description="Shipments per day"), _I] | None = None


class NodeView(NodeIn):
    node_id: str
    updated: StampView | None = Field(default=None, description="Who last created or changed the node, and when")


class NodeList(ApiModel):
    nodes: list[NodeView] = Field(description="By node id")
    next: str | None = Field(description="Pass as `cursor` for the next page; null on the last one")


class _Settings(_In):
    safety_stock: Annotated[int, Field(ge=0, le=10_000_000), _I] | None = None
    reorder_point: Annotated[int, Field(ge=0, le=10_000_000), _I] | None = None
    reorder_quantity: Annotated[int, Field(ge=1, le=10_000_000), _I] | None = None


class ReceiptLine(_Settings):
    sku: Sku
    quantity: Annotated[int, Field(ge=1, le=10_000_000, description="Units received"), _I]


class AdjustmentLine(_Settings):
    sku: Sku
    quantity: Annotated[
        int,
        Field(ge=-10_000_000, le=10_000_000, description="Units found (+) or lost (-); 0 to change settings only"),
        _I,
    ]


class CountLine(_Settings):
    sku: Sku
    quantity: Annotated[int, Field(ge=0, le=10_000_000, description="Units counted: on hand becomes this"), _I]


Line = TypeVar("Line", ReceiptLine, AdjustmentLine, CountLine)


def _merge(lines: list[Line]) -> list[Line]:
    """Lines for the same sku are added together (a count over two bins, say); the last setting wins."""
    merged: dict[str, Line] = {}
    for line in lines:
        seen = merged.get(line.sku)
        if seen is None:
            merged[line.sku] = line
            continue
        settings = {k: v for k, v in line.model_dump(exclude={"sku", "quantity"}).items() if v is not None}
        merged[line.sku] = seen.model_copy(update={"quantity": seen.quantity + line.quantity, **settings})
    return list(merged.values())


class _Adjustment(_In):
    reference: Reference = Field(description="Idempotency key, e.g. the goods-received note number")
    node_id: NodeId
    reason: Annotated[str, StringConstraints(max_length=500)] | None = None


class Receipt(_Adjustment):
    """Goods in: each line's quantity is added to on hand."""

    type: Literal["receipt"]
    lines: Annotated[list[ReceiptLine], Field(min_length=1, max_length=MAX_ADJUSTMENT_LINES), AfterValidator(_merge)]


class Correction(_Adjustment):
    """Units found (+) or lost (-); on hand may not drop below what is reserved."""

    type: Literal["adjustment"]
    lines: Annotated[list[AdjustmentLine], Field(min_length=1, max_length=MAX_ADJUSTMENT_LINES), AfterValidator(_merge)]


class Count(_Adjustment):
    """A stock count: on hand becomes the counted quantity."""

    type: Literal["count"]
    lines: Annotated[list[CountLine], Field(min_length=1, max_length=MAX_ADJUSTMENT_LINES), AfterValidator(_merge)]


# Receive or adjust stock at one node, idempotent on `reference`. Lines for the same sku are added together.
AdjustmentIn = Annotated[Receipt | Correction | Count, Field(discriminator="type")]
AnyAdjustment = Receipt | Correction | Count


class PolicyIn(_In):
    """How a channel's orders are routed, and its rank when scarce stock is allocated."""

    strategy: Literal["cost", "distance"] = "cost"
    allow_split: bool = True
    max_shipments: Annotated[int, Field(ge=1, le=10), _I] = 2
    when_unfillable: Literal["backorder", "hold", "partial"] = "backorder"
    priority: Annotated[int, Field(ge=0, le=99_999, description="Lower is served first"), _I] = 100


class PolicyView(PolicyIn):
    updated: StampView | None = Field(
        default=None, description="Who last set the policy, and when; null for the default policy"
    )


class StockAtNode(ApiModel):
    node_id: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int
    reorder_point: int | None
    reorder_quantity: int | None
    shards: int = Field(default=1, description="Items the stock is split over (1: unsharded; see docs/hot-sku.md)")


class StockTotals(ApiModel):
    on_hand: int
    reserved: int
    safety_stock: int
    available: int


class Availability(ApiModel):
    sku: str
    total: StockTotals
    nodes: list[StockAtNode]


class AdjustmentResult(ApiModel):
    reference: str
    node_id: str
    stock: list[StockAtNode]


class StockMovement(ApiModel):
    sku: str
    on_hand_change: int = Field(description="Units added to on hand (negative: taken away)")


class AdjustmentRecord(ApiModel):
    """An applied adjustment, as kept under its reference: the stock's audit trail."""

    reference: str
    node_id: str
    type: str | None = Field(description="receipt, adjustment or count; null for Waybill's own (a return restocked)")
    changes: list[StockMovement]
    updated: StampView | None = Field(
        description="Who made it, when and why (the adjustment's reason); null for Waybill's own, "
        "whose order history says who caused it"
    )


class StockLayoutIn(_In):
    """How a hot sku's stock at a node is kept: split over `shards` items so more reservations per
    second fit (the count only rises), and `rebalance` to even the shards out (docs/hot-sku.md)."""

    node_id: NodeId
    shards: Annotated[int, Field(ge=1, le=MAX_SHARDS, description=f"Shard count, 1..{MAX_SHARDS}"), _I] | None = None
    rebalance: bool = Field(default=False, description="Even out what the shards may promise (the total never changes)")


class ShardView(ApiModel):
    shard: int
    on_hand: int
    reserved: int
    available: int = Field(description="What the shard may promise (shard 0 keeps the safety stock)")


class ShardMove(ApiModel):
    source: int
    target: int
    units: int


class ShardedStock(ApiModel):
    sku: str
    stock: StockAtNode
    parts: list[ShardView]
    moves: list[ShardMove] = Field(default_factory=list, description="Units a rebalance moved between shards")


class ReorderSuggestionView(ApiModel):
    sku: str
    node_id: str
    quantity: int
    available: int
    reorder_point: int
    suggested_at: str


class ReorderSuggestions(ApiModel):
    suggestions: list[ReorderSuggestionView] = Field(description="By SKU, then node")
    next: str | None = Field(description="Pass as `cursor` for the next page; null on the last one")

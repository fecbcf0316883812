"""API models for nodes, stock adjustments, availability and routing policies."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, field_validator

from shared.schemas.capture import Sku, Text, integral

NodeId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$")]
Reference = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-/#]{0,127}$")]
MAX_ADJUSTMENT_LINES = 50
_I = BeforeValidator(integral)  # 2.0 counts as the integer 2, as in JSON Schema


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class NodeAddress(_In):
    line1: Text | None = None
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


class AdjustmentLine(_In):
    sku: Sku
    quantity: Annotated[int, Field(ge=-10_000_000, le=10_000_000), _I] = Field(
        description="receipt: units in (> 0); adjustment: units found (+) or lost (-); count: units counted (>= 0)"
    )
    safety_stock: Annotated[int, Field(ge=0, le=10_000_000), _I] | None = None
    reorder_point: Annotated[int, Field(ge=0, le=10_000_000), _I] | None = None
    reorder_quantity: Annotated[int, Field(ge=1, le=10_000_000), _I] | None = None


class AdjustmentIn(_In):
    """Receive or adjust stock at one node. Idempotent on `reference` (e.g. the goods-received note).
    Lines for the same sku are added together (a count over two bins, say); the last setting given wins."""

    reference: Reference
    node_id: NodeId
    type: Literal["receipt", "adjustment", "count"]
    reason: Annotated[str, StringConstraints(max_length=500)] | None = None
    lines: Annotated[list[AdjustmentLine], Field(min_length=1, max_length=MAX_ADJUSTMENT_LINES)]

    @field_validator("lines")
    @classmethod
    def _one_line_per_sku(cls, lines: list[AdjustmentLine]) -> list[AdjustmentLine]:
        merged: dict[str, AdjustmentLine] = {}
        for line in lines:
            seen = merged.get(line.sku)
            if seen is None:
                merged[line.sku] = line
                continue
            settings = {k: v for k, v in line.model_dump(exclude={"sku", "quantity"}).items() if v is not None}
            merged[line.sku] = seen.model_copy(update={"quantity": seen.quantity + line.quantity, **settings})
        return list(merged.values())


class PolicyIn(_In):
    """How a channel's orders are routed, and its rank when scarce stock is allocated."""

    strategy: Literal["cost", "distance"] = "cost"
    allow_split: bool = True
    max_shipments: Annotated[int, Field(ge=1, le=10), _I] = 2
    when_unfillable: Literal["backorder", "hold", "partial"] = "backorder"
    priority: Annotated[int, Field(ge=0, le=99_999, description="Lower is served first"), _I] = 100


class StockAtNode(BaseModel):
    node_id: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int
    reorder_point: int | None
    reorder_quantity: int | None


class StockTotals(BaseModel):
    on_hand: int
    reserved: int
    safety_stock: int
    available: int


class Availability(BaseModel):
    sku: str
    total: StockTotals
    nodes: list[StockAtNode]


class AdjustmentResult(BaseModel):
    reference: str
    node_id: str
    stock: list[StockAtNode]


class ReorderSuggestionView(BaseModel):
    sku: str
    node_id: str
    quantity: int
    available: int
    reorder_point: int
    suggested_at: str


class ReorderSuggestions(BaseModel):
    suggestions: list[ReorderSuggestionView]

"""The warehouse and carrier events contract: one schema for the events queue and the API.

`type` decides the shape: warehouse events name their node, `packed` carries the parcel,
`rejected` a reason, carrier events the tracking number. Unknown fields are refused.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, ConfigDict, Field, TypeAdapter

from shared.domain.shipment import EventType, ShipmentEvent
from shared.domain.shipping import Parcel
from shared.schemas.base import ApiModel
from shared.schemas.shipment_view import ParcelIn, ReturnView, ShipmentView

EventId = Annotated[
    str,
    Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$", description="The sender's id; a repeat is a redelivery"),
]
ShipmentId = Annotated[str, Field(pattern=r"^ord_[0-9a-z]{1,64}-S[0-9]{1,3}$", description="Waybill's shipment id")]
NodeId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$")]


class _Event(ApiModel):
    model_config = ConfigDict(extra="forbid")

    event_id: EventId
    shipment_id: ShipmentId
    occurred_at: AwareDatetime


class WarehouseStep(_Event):
    """The node accepted the request, picked the lines, or (pickup orders) the customer collected."""

    type: Literal["accepted", "picked", "collected"]
    node_id: NodeId

    def domain(self) -> ShipmentEvent:
        return ShipmentEvent(self.event_id, EventType(self.type), self.occurred_at)


class Packed(_Event):
    type: Literal["packed"]
    node_id: NodeId
    parcel: ParcelIn

    def domain(self) -> ShipmentEvent:
        return ShipmentEvent(
            self.event_id, EventType.PACKED, self.occurred_at, parcel=Parcel(**self.parcel.model_dump())
        )


class Rejected(_Event):
    type: Literal["rejected"]
    node_id: NodeId
    reason: str = Field(min_length=1, max_length=500)

    def domain(self) -> ShipmentEvent:
        return ShipmentEvent(self.event_id, EventType.REJECTED, self.occurred_at, reason=self.reason)


class CarrierScan(_Event):
    """A carrier's tracking update for the shipment's label."""

    type: Literal["in_transit", "out_for_delivery", "delivery_exception", "delivered"]
    tracking_number: str = Field(min_length=8, max_length=40)
    detail: str | None = Field(default=None, max_length=500)

    def domain(self) -> ShipmentEvent:
        return ShipmentEvent(self.event_id, EventType(self.type), self.occurred_at, detail=self.detail)


class ReturnedLine(ApiModel):
    model_config = ConfigDict(extra="forbid")

    line_id: str = Field(pattern=r"^L[0-9]{1,3}$")
    quantity: int = Field(ge=1, le=10_000)
    condition: Literal["resellable", "damaged"]


class ReturnReceived(ApiModel):
    """The warehouse received an RMA's parcel: what came back, and in what condition."""

    model_config = ConfigDict(extra="forbid")

    event_id: EventId
    type: Literal["return_received"]
    rma_id: str = Field(pattern=r"^ord_[0-9a-z]{1,64}-R[0-9]{1,3}$", description="Waybill's return (RMA) id")
    node_id: NodeId
    occurred_at: AwareDatetime
    lines: list[ReturnedLine] = Field(min_length=1, max_length=50)

    def found(self) -> dict[str, tuple[int, int]]:
        """Per line: (resellable, damaged) units."""
        out: dict[str, tuple[int, int]] = {}
        for line in self.lines:
            good, bad = out.get(line.line_id, (0, 0))
            out[line.line_id] = (
                (good + line.quantity, bad) if line.condition == "resellable" else (good, bad + line.quantity)
            )
        return out


AnyEvent = WarehouseStep | Packed | Rejected | CarrierScan | ReturnReceived
FulfilmentEventIn = Annotated[AnyEvent, Field(discriminator="type")]
# defer_build: built by the first event validated, not by every function that imports these views
EVENT_ADAPTER: TypeAdapter[AnyEvent] = TypeAdapter(FulfilmentEventIn, config=ConfigDict(defer_build=True))


class EventResult(ApiModel):
    event_id: str
    outcome: Literal["applied", "duplicate"]
    order_id: str
    order_status: str
    shipment: ShipmentView | None = None
    rma: ReturnView | None = None

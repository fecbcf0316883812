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


class ParcelIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    weight_grams: int = Field(ge=1, le=70_000)
    length_cm: int = Field(ge=1, le=300)
    width_cm: int = Field(ge=1, le=300)
    height_cm: int = Field(ge=1, le=300)


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


class ShipmentLineView(ApiModel):
    line_id: str
    sku: str
    quantity: int


class LabelView(ApiModel):
    carrier: str
    service: str
    tracking_number: str
    tracking_url: str
    amount: int
    currency: str
    download_url: str | None = Field(description="Presigned link to the 4x6 label PDF, valid for an hour")


class ShipmentView(ApiModel):
    shipment_id: str
    node_id: str
    method: str
    status: str
    lines: list[ShipmentLineView]
    parcel: ParcelIn | None
    label: LabelView | None = Field(
        description="null until the label is bought, right after `packed`; the node is then sent it on the "
        "fulfilment topic (`label_ready`) and may read it at `links.label`"
    )
    rejected_reason: str | None
    delivery_exception: str | None = Field(description="The carrier's last delivery exception, until delivered")
    last_event_at: AwareDatetime | None
    documents: dict[str, str] = Field(description="Pick list and packing slip: presigned links, valid for an hour")
    links: dict[str, str] = Field(
        default_factory=dict,
        description="Paths under the API base URL that never expire: the shipment, and each document (label, "
        "pick list, packing slip) as a redirect to a fresh download; readable with the node's warehouse key",
    )
    replaces: str | None
    repack_reason: str | None = Field(
        default=None, description="Why the carrier refused the packed parcel; the node re-packs it (PICKED again)"
    )


class ReturnLineView(ApiModel):
    line_id: str
    sku: str
    quantity: int
    resellable: int
    damaged: int


class ReturnView(ApiModel):
    rma_id: str
    node_id: str = Field(description="Where the parcel goes back to")
    reason: str
    status: str = Field(
        description="REQUESTED, LABELLED, PARTIALLY_RECEIVED (some units in), RECEIVED, REFUNDED, or CLOSED "
        "(the return window ended with units still out: what arrived was refunded)"
    )
    outstanding: int = Field(description="Units asked back that have not arrived yet")
    lines: list[ReturnLineView]
    label: LabelView | None
    created_at: AwareDatetime
    received_at: AwareDatetime | None
    refund_id: str | None


class EventResult(ApiModel):
    event_id: str
    outcome: Literal["applied", "duplicate"]
    order_id: str
    order_status: str
    shipment: ShipmentView | None = None
    rma: ReturnView | None = None

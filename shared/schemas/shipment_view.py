"""The API views of an order's shipments and returns, apart from the warehouse and carrier events
(shared/schemas/fulfilment_events.py): the order, shipment and operations routes answer with these
and need none of the event models."""

from __future__ import annotations

from pydantic import AwareDatetime, ConfigDict, Field

from shared.schemas.base import ApiModel


class ParcelIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    weight_grams: int = Field(ge=1, le=70_000)
    length_cm: int = Field(ge=1, le=300)
    width_cm: int = Field(ge=1, le=300)
    height_cm: int = Field(ge=1, le=300)


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

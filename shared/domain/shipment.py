"""Shipments: what one node sends (or hands over) for an order, and the events that move it.

A shipment's status only moves along the edges below; warehouses and carriers report events, and
an event that does not fit the current status is refused (never applied) with a reason. No I/O.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from shared.domain.errors import DomainError
from shared.domain.shipping import Label, Parcel, ParcelOverLimit, parcel_over_limit
from shared.records import record


class ShipmentStatus(StrEnum):
    REQUESTED = "REQUESTED"  # fulfilment request sent to the node, waiting for its answer
    ACCEPTED = "ACCEPTED"
    PICKED = "PICKED"
    PACKED = "PACKED"
    LABELLED = "LABELLED"
    SHIPPED = "SHIPPED"  # handed to the carrier: stock consumed, customer told
    READY_FOR_PICKUP = "READY_FOR_PICKUP"  # pickup orders: packed and waiting at the store
    IN_TRANSIT = "IN_TRANSIT"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    DELIVERY_EXCEPTION = "DELIVERY_EXCEPTION"
    DELIVERED = "DELIVERED"
    REJECTED = "REJECTED"  # the node refused it; its lines were re-routed or the order failed
    CANCELLED = "CANCELLED"  # the order was cancelled before it left


class EventType(StrEnum):
    ACCEPTED = "accepted"
    PICKED = "picked"
    PACKED = "packed"
    REJECTED = "rejected"
    COLLECTED = "collected"  # a pickup order was collected by the customer
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERY_EXCEPTION = "delivery_exception"
    DELIVERED = "delivered"


WAREHOUSE_EVENTS = frozenset({EventType.ACCEPTED, EventType.PICKED, EventType.PACKED, EventType.REJECTED})
CARRIER_EVENTS = frozenset(
    {EventType.IN_TRANSIT, EventType.OUT_FOR_DELIVERY, EventType.DELIVERY_EXCEPTION, EventType.DELIVERED}
)

_S = ShipmentStatus
ON_THE_ROAD = frozenset({_S.SHIPPED, _S.IN_TRANSIT, _S.OUT_FOR_DELIVERY, _S.DELIVERY_EXCEPTION})
# event -> (statuses it may arrive in, status it leads to)
EVENT_EDGES: dict[EventType, tuple[frozenset[ShipmentStatus], ShipmentStatus]] = {
    EventType.ACCEPTED: (frozenset({_S.REQUESTED}), _S.ACCEPTED),
    EventType.PICKED: (frozenset({_S.ACCEPTED}), _S.PICKED),
    EventType.PACKED: (frozenset({_S.PICKED}), _S.PACKED),
    EventType.REJECTED: (frozenset({_S.REQUESTED, _S.ACCEPTED, _S.PICKED}), _S.REJECTED),
    EventType.COLLECTED: (frozenset({_S.READY_FOR_PICKUP}), _S.DELIVERED),
    # carriers scan a parcel many times: in transit again after an exception is normal
    EventType.IN_TRANSIT: (ON_THE_ROAD, _S.IN_TRANSIT),
    EventType.OUT_FOR_DELIVERY: (ON_THE_ROAD, _S.OUT_FOR_DELIVERY),
    EventType.DELIVERY_EXCEPTION: (ON_THE_ROAD, _S.DELIVERY_EXCEPTION),
    EventType.DELIVERED: (ON_THE_ROAD, _S.DELIVERED),
}
# How far along a status is, to tell a stale event (behind) from one that skips ahead.
_RANK = {
    _S.REQUESTED: 0,
    _S.ACCEPTED: 1,
    _S.PICKED: 2,
    _S.PACKED: 3,
    _S.LABELLED: 4,
    _S.READY_FOR_PICKUP: 5,
    _S.SHIPPED: 5,
    _S.IN_TRANSIT: 6,
    _S.OUT_FOR_DELIVERY: 6,
    _S.DELIVERY_EXCEPTION: 6,
    _S.DELIVERED: 7,
    _S.REJECTED: 8,
    _S.CANCELLED: 8,
}
# Statuses in which the goods have left the node's available stock for this customer.
HANDED_OVER = frozenset(ON_THE_ROAD | {_S.READY_FOR_PICKUP, _S.DELIVERED})
# Statuses in which the goods have left the node itself (a pickup order waiting at the store has not).
LEFT_THE_NODE = HANDED_OVER - {_S.READY_FOR_PICKUP}
# A closed shipment takes no more events: its node was told to stop and its stock went back.
CLOSED = frozenset({_S.REJECTED, _S.CANCELLED})


class ShipmentCancelled(Exception):
    """The order was cancelled while this shipment waited at its node: its flow ends quietly."""


class EventRefused(DomainError):
    """The event cannot apply to the shipment as it is; nothing was changed."""

    code = "event_refused"
    http_status = 409

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@record
class ShipmentLine:
    line_id: str
    sku: str
    quantity: int


@record
class ShipmentEvent:
    event_id: str
    type: EventType
    occurred_at: datetime
    parcel: Parcel | None = None
    reason: str | None = None
    detail: str | None = None

    def digest(self) -> str:
        """What the event says, apart from its id and time: the same id with another digest is another
        event. A sender stamping its resend with a new occurred_at still sends the same event."""
        parcel = vars(self.parcel) if self.parcel else None
        said = [self.type.value, self.reason, self.detail, parcel]
        return hashlib.sha256(json.dumps(said, sort_keys=True, default=str).encode()).hexdigest()[:32]


@dataclass
class Shipment:
    shipment_id: str
    node_id: str
    method: str  # "ship" | "pickup"
    lines: tuple[ShipmentLine, ...]
    status: ShipmentStatus = ShipmentStatus.REQUESTED
    parcel: Parcel | None = None
    label: Label | None = None
    rejected_reason: str | None = None
    # the carrier's last delivery exception, kept until the parcel is delivered; ops see it on the order
    delivery_exception: str | None = None
    last_event_at: datetime | None = None
    # ids of the events applied, so a redelivered event is recognised, and what each said (digest),
    # so that an id reused for another event is refused rather than taken for a redelivery
    event_ids: list[str] = field(default_factory=list)
    event_digests: dict[str, str] = field(default_factory=dict)
    # Step Functions task tokens the workflow waits on for this shipment
    request_token: str | None = None
    delivery_token: str | None = None
    documents: dict[str, str] = field(default_factory=dict)  # kind -> object key
    # provider message ids of the emails sent for this shipment, by kind ("shipped", "delivered")
    emails: dict[str, str] = field(default_factory=dict)
    # the shipment this one replaces after a rejection
    replaces: str | None = None
    # the carrier refused the packed parcel: the node re-packs it (a new `packed` event)
    repack_reason: str | None = None
    repacks: int = 0

    @property
    def handed_over(self) -> bool:
        return self.status in HANDED_OVER

    @property
    def active(self) -> bool:
        return self.status not in (ShipmentStatus.REJECTED, ShipmentStatus.CANCELLED)

    def apply(self, event: ShipmentEvent) -> bool:
        """Applies the event; False for a redelivery of one already applied. EventRefused if it does not fit."""
        if event.event_id in self.event_ids:
            known = self.event_digests.get(event.event_id)
            if known is not None and known != event.digest():
                raise EventRefused(
                    "event_id_conflict",
                    f"event_id {event.event_id} was already applied to shipment {self.shipment_id} with a "
                    "different body; a new event needs a new event_id",
                )
            return False
        allowed_from, to = EVENT_EDGES[event.type]
        if self.status in CLOSED:
            raise EventRefused(
                "shipment_closed",
                f"shipment {self.shipment_id} is {self.status}: it is closed and takes no more events",
            )
        if event.type == EventType.COLLECTED and self.method != "pickup":
            raise EventRefused("wrong_event", f"shipment {self.shipment_id} is shipped by carrier, not collected")
        if event.type in CARRIER_EVENTS and self.method == "pickup":
            raise EventRefused("wrong_event", f"shipment {self.shipment_id} is a pickup: no carrier events")
        if self.status not in allowed_from:
            if self.status == to or _RANK[self.status] > _RANK[to]:
                raise EventRefused(
                    "stale_event", f"shipment {self.shipment_id} is already {self.status}; {event.type} is behind it"
                )
            raise EventRefused(
                "out_of_order", f"shipment {self.shipment_id} is {self.status}; {event.type} cannot come yet"
            )
        if event.type == EventType.PACKED and event.parcel is None:
            raise EventRefused("missing_parcel", "a packed event carries the parcel's weight and dimensions")
        if event.type == EventType.PACKED and self.method == "ship" and event.parcel is not None:
            problem = parcel_over_limit(event.parcel)
            if problem:  # refused before the label is bought, so the warehouse can re-pack it now
                raise ParcelOverLimit(f"shipment {self.shipment_id}: {problem}; re-pack it and send packed again")
        self.status = to
        self.last_event_at = event.occurred_at
        self.event_ids.append(event.event_id)
        self.event_digests[event.event_id] = event.digest()
        if event.type == EventType.PACKED:
            self.parcel = event.parcel
            self.repack_reason = None
        elif event.type == EventType.REJECTED:
            self.rejected_reason = event.reason or "rejected by the node"
        elif event.type == EventType.DELIVERY_EXCEPTION:
            self.delivery_exception = event.detail or event.reason or "delivery exception"
        elif event.type == EventType.DELIVERED:
            self.delivery_exception = None
        return True

    def labelled(self, label: Label) -> None:
        if self.status == ShipmentStatus.CANCELLED:
            raise ShipmentCancelled(self.shipment_id)
        if self.status != ShipmentStatus.PACKED:
            raise EventRefused("out_of_order", f"shipment {self.shipment_id} is {self.status}, not PACKED")
        self.label = label
        self.status = ShipmentStatus.LABELLED

    def refuse_parcel(self, reason: str) -> None:
        """The carrier refused the packed parcel: back to the node (PICKED) to be re-packed."""
        if self.status == ShipmentStatus.CANCELLED:
            raise ShipmentCancelled(self.shipment_id)
        if self.status != ShipmentStatus.PACKED:
            raise EventRefused("out_of_order", f"shipment {self.shipment_id} is {self.status}, not PACKED")
        self.status = ShipmentStatus.PICKED
        self.parcel = None
        self.repack_reason = reason
        self.repacks += 1

    def hand_over(self) -> None:
        """Shipped (labelled parcel to the carrier) or ready for pickup (pickup orders, once packed)."""
        if self.status == ShipmentStatus.CANCELLED:
            raise ShipmentCancelled(self.shipment_id)
        wanted = ShipmentStatus.PACKED if self.method == "pickup" else ShipmentStatus.LABELLED
        if self.status != wanted:
            raise EventRefused("out_of_order", f"shipment {self.shipment_id} is {self.status}, not {wanted}")
        self.status = ShipmentStatus.READY_FOR_PICKUP if self.method == "pickup" else ShipmentStatus.SHIPPED

"""Warehouse and carrier events (from the events queue or POST /v1/fulfillment-events).

An event names its shipment; the shipment id carries the order id. Who may send what:
warehouses their own nodes' warehouse events (and `collected` at a store), carrier integrations
carrier events, admin anything. An event that does not fit is refused and nothing changes.
After applying, the waiting state machine is answered; a redelivered event answers again, so an
answer lost to a crash is given the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from shared.domain.errors import DomainError, OrderNotFound
from shared.domain.order import Order, ShipmentNotFound
from shared.domain.principal import Kind, Principal
from shared.domain.shipment import CARRIER_EVENTS, EventRefused, EventType, Shipment, ShipmentEvent
from shared.ports import Clock, OrderRepository, TaskSignals
from shared.usecases._update import update_order
from shared.usecases.signals import answer_delivery, answer_request

# how far a sender's clock may be off ours
CLOCK_SKEW = timedelta(minutes=15)


class EventTimeRefused(DomainError):
    """occurred_at cannot be true: answered 422 with the field named."""

    code = "validation_failed"
    http_status = 422
    field = "occurred_at"

    def http_details(self) -> list[tuple[str, str]]:
        return [(self.field, str(self))]


@dataclass(frozen=True)
class EventOutcome:
    applied: bool  # False: a redelivery of an event already applied
    order: Order
    shipment: Shipment


def order_id_of(shipment_id: str) -> str:
    order_id, sep, number = shipment_id.rpartition("-S")
    if not sep or not order_id or not number.isdigit():
        raise ShipmentNotFound("?", shipment_id)
    return order_id


def apply_event(
    event: ShipmentEvent,
    shipment_id: str,
    *,
    node_id: str | None,
    tracking_number: str | None,
    principal: Principal,
    orders: OrderRepository,
    signals: TaskSignals,
    clock: Clock,
) -> EventOutcome:
    order_id = order_id_of(shipment_id)
    order = orders.get(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    shipment = order.shipment(shipment_id)
    _authorise(principal, shipment, event.type)
    if event.event_id not in shipment.event_ids:  # a redelivery is answered as such, whenever it was stamped
        _check_time(event, order, clock)
    if node_id is not None and node_id != shipment.node_id:
        raise EventRefused("wrong_node", f"shipment {shipment_id} is fulfilled by {shipment.node_id}, not {node_id}")
    if tracking_number is not None and (shipment.label is None or shipment.label.tracking_number != tracking_number):
        raise EventRefused("wrong_tracking_number", f"shipment {shipment_id} has no label {tracking_number}")
    latest: list[Order] = []

    def change(current: Order) -> bool:
        latest[:] = [current]  # the order as saved (or found unchanged): no need to read it again
        return current.shipment_event(shipment_id, event, clock.now())

    applied = update_order(orders, order_id, change, loaded=order)
    order = latest[0]
    shipment = order.shipment(shipment_id)
    if event.type in (EventType.DELIVERED, EventType.COLLECTED):
        answer_delivery(shipment, signals)
    elif event.type not in CARRIER_EVENTS:
        answer_request(shipment, signals)
    return EventOutcome(applied, order, shipment)


def _check_time(event: ShipmentEvent, order: Order, clock: Clock) -> None:
    """An event cannot have happened in the future, nor before its order existed (beyond clock skew)."""
    if event.occurred_at > clock.now() + CLOCK_SKEW:
        raise EventTimeRefused(f"occurred_at {event.occurred_at.isoformat()} is in the future")
    if event.occurred_at < order.created_at - CLOCK_SKEW:
        raise EventTimeRefused(
            f"occurred_at {event.occurred_at.isoformat()} is before order {order.order_id} was captured "
            f"({order.created_at.isoformat()})"
        )


def _authorise(principal: Principal, shipment: Shipment, event: EventType) -> None:
    if principal.kind == Kind.WAREHOUSE:
        if shipment.node_id not in principal.nodes:
            # another node's shipment looks like no shipment at all
            raise ShipmentNotFound(shipment.shipment_id.rpartition("-S")[0], shipment.shipment_id)
        if event in CARRIER_EVENTS:
            raise EventRefused("wrong_sender", f"{event} is a carrier event; a warehouse cannot send it")
    elif principal.kind == Kind.CARRIER and event not in CARRIER_EVENTS:
        raise EventRefused("wrong_sender", f"{event} is a warehouse event; a carrier cannot send it")


def note_repack(shipment_id: str, reason: str, *, orders: OrderRepository, clock: Clock) -> None:
    """A packed event from the queue over the carrier's limits: there is nobody to answer 422 to, so
    the shipment records it (the node re-packs and sends packed again) instead of the event being
    retried into the dead-letter queue."""
    update_order(orders, order_id_of(shipment_id), lambda o: o.repack_needed(shipment_id, reason, clock.now()))

"""Fulfilment: the parcel leaves (or waits at the store for pickup): its reserved stock is consumed.

A retry is harmless: a shipment already handed over is not moved again, and a consumed
reservation is not consumed again.
"""

from __future__ import annotations

from shared.domain.order import Order
from shared.domain.shipment import Shipment
from shared.ports import Clock, OrderRepository, PaymentGateway, Reservations
from shared.usecases._update import update_order
from shared.usecases.capture_payment import capture_for_shipping


def hand_over(
    order_id: str, shipment_id: str, *, orders: OrderRepository, inventory: Reservations, clock: Clock
) -> Shipment:
    def record(o: Order) -> Shipment:
        s = o.shipment(shipment_id)
        return s if s.handed_over else o.hand_over(shipment_id, clock.now())  # ShipmentCancelled if cancelled

    shipment = update_order(orders, order_id, record)
    # consumed after it is recorded: a cancel in between finds the parcel gone and leaves its stock
    # alone; a retry consumes whatever is still reserved at the node
    for reservation in inventory.reservations(order_id):
        if reservation.node_id == shipment.node_id and reservation.status == "reserved":
            inventory.consume(reservation)
    return shipment


def ship(
    order_id: str,
    shipment_id: str,
    *,
    orders: OrderRepository,
    inventory: Reservations,
    payments: PaymentGateway,
    clock: Clock,
) -> tuple[Shipment, str]:
    """The hand-over step: the money is taken as the goods leave (an authorization is captured at
    the first hand-over), then the parcel is handed over. Returns the shipment and the email the
    customer is owed for it (`ready_for_pickup` or `shipped`)."""
    capture_for_shipping(order_id, orders=orders, payments=payments, clock=clock)
    shipment = hand_over(order_id, shipment_id, orders=orders, inventory=inventory, clock=clock)
    return shipment, "ready_for_pickup" if shipment.method == "pickup" else "shipped"

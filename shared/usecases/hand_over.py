"""Fulfilment: the parcel leaves (or waits at the store for pickup): its reserved stock is consumed.

Consuming first and recording second makes a retry harmless: a consumed reservation is not
consumed again, and a shipment already handed over is not moved again.
"""

from __future__ import annotations

from shared.domain.order import Order
from shared.domain.shipment import Shipment, ShipmentCancelled, ShipmentStatus
from shared.ports import Clock, Inventory, OrderRepository
from shared.usecases._update import update_order


def hand_over(
    order_id: str, shipment_id: str, *, orders: OrderRepository, inventory: Inventory, clock: Clock
) -> Shipment:
    order = orders.get(order_id)
    assert order is not None
    shipment = order.shipment(shipment_id)
    if shipment.handed_over:
        return shipment
    if shipment.status == ShipmentStatus.CANCELLED:
        raise ShipmentCancelled(shipment_id)
    for reservation in inventory.reservations(order_id):
        if reservation.node_id == shipment.node_id and reservation.status == "reserved":
            inventory.consume(reservation)

    def record(o: Order) -> Shipment:
        s = o.shipment(shipment_id)
        return s if s.handed_over else o.hand_over(shipment_id, clock.now())

    return update_order(orders, order_id, record)

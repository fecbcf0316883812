"""Fulfilment: the parcel leaves (or waits at the store for pickup): its reserved stock is consumed.

A retry is harmless: a shipment already handed over is not moved again, and a consumed
reservation is not consumed again.
"""

from __future__ import annotations

from shared.domain.order import Order
from shared.domain.shipment import Shipment
from shared.ports import Clock, Inventory, OrderRepository
from shared.usecases._update import update_order


def hand_over(
    order_id: str, shipment_id: str, *, orders: OrderRepository, inventory: Inventory, clock: Clock
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

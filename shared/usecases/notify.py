"""Customer emails about a shipment: shipped (with tracking), ready for pickup, delivered.

Each is sent once per shipment and kind: the message id is kept on the shipment, and the caller
holds an idempotency record on (shipment, kind) so two concurrent attempts cannot both send.
"""

from __future__ import annotations

from typing import Any

from shared.domain.order import Order
from shared.domain.shipment import Shipment
from shared.ports import Clock, Mailer, OrderRepository
from shared.usecases._update import update_order

KINDS = ("shipped", "ready_for_pickup", "delivered")


def email_data(order: Order, shipment: Shipment) -> dict[str, Any]:
    """Template data, all strings (moto's renderer only takes strings)."""
    label = shipment.label
    return {
        "order_ref": order.external_id,
        "customer_name": order.customer.name,
        "shipment_id": shipment.shipment_id,
        "node_id": shipment.node_id,
        "lines": [{"sku": line.sku, "quantity": str(line.quantity)} for line in shipment.lines],
        "carrier": label.carrier if label else "",
        "service": label.service if label else "",
        "tracking_number": label.tracking_number if label else "",
        "tracking_url": label.tracking_url if label else "",
    }


def send_shipment_email(
    order_id: str,
    shipment_id: str,
    kind: str,
    *,
    orders: OrderRepository,
    mailer: Mailer,
    template: str,
    clock: Clock,
) -> str:
    order = orders.get(order_id)
    assert order is not None
    shipment = order.shipment(shipment_id)
    if kind in shipment.emails:
        return shipment.emails[kind]
    message_id = mailer.send(template, order.customer.email, email_data(order, shipment))

    return update_order(orders, order_id, lambda o: o.shipment_emailed(shipment_id, kind, message_id, clock.now()))

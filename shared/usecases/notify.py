"""Customer emails about a shipment (shipped with tracking, ready for pickup, delivered, a delivery
problem) and about the whole order (cancelled, return opened with its label).

Each is sent once per (shipment or order) and kind: the message id is kept on the order, and the
caller holds an idempotency record on the same key so two concurrent attempts cannot both send.
"""

from __future__ import annotations

from typing import Any

from shared.domain.errors import OrderNotFound
from shared.domain.order import Order
from shared.domain.shipment import Shipment, ShipmentStatus
from shared.email import content
from shared.ports import PRESIGN_MAX_S, Clock, DocumentStore, Mailer, Nodes, OrderRepository
from shared.usecases._update import update_order

KINDS = ("shipped", "ready_for_pickup", "delivered", "delivery_exception")
# A presigned link lives at most 7 days (SigV4); the return email says so.
LABEL_LINK_S = PRESIGN_MAX_S


def email_data(order: Order, shipment: Shipment, nodes: Nodes | None = None) -> dict[str, Any]:
    """Template data of a shipment's emails: what is in the parcel and how it travels, never its ids."""
    label = shipment.label
    parcels = [s for s in order.shipments if s.status not in (ShipmentStatus.REJECTED, ShipmentStatus.CANCELLED)]
    data: dict[str, Any] = {
        **content.greeting(order),
        "items": content.items(order, [(line.line_id, line.quantity) for line in shipment.lines]),
        "split": "yes" if len(parcels) > 1 else "",
        "carrier": content.carrier_name(label.carrier) if label else "",
        "service": content.service_name(label.service) if label else "",
        "tracking_number": label.tracking_number if label else "",
        "tracking_url": label.tracking_url if label else "",
        "detail": shipment.delivery_exception or "",
        "collected": "yes" if shipment.method == "pickup" else "",
    }
    if shipment.method == "pickup":
        data.update(content.store(nodes.get(shipment.node_id) if nodes else None))
    return data


def _order(orders: OrderRepository, order_id: str) -> Order:
    order = orders.get(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    return order


def send_shipment_email(
    order_id: str,
    shipment_id: str,
    kind: str,
    *,
    orders: OrderRepository,
    mailer: Mailer,
    template: str,
    clock: Clock,
    nodes: Nodes | None = None,
) -> str:
    message_id = mail_shipment_email(
        order_id, shipment_id, kind, orders=orders, mailer=mailer, template=template, nodes=nodes
    )
    return record_shipment_email(order_id, shipment_id, kind, message_id, orders=orders, clock=clock)


def mail_shipment_email(
    order_id: str,
    shipment_id: str,
    kind: str,
    *,
    orders: OrderRepository,
    mailer: Mailer,
    template: str,
    nodes: Nodes | None = None,
) -> str:
    """Sends the email unless the order records it already; the message id. The only step a
    caller's idempotency record must cover: recording it on the order comes after, so a failed
    record is retried without sending again (record_shipment_email)."""
    order = _order(orders, order_id)
    shipment = order.shipment(shipment_id)
    if kind in shipment.emails:
        return shipment.emails[kind]
    return mailer.send(template, order.customer.email, email_data(order, shipment, nodes))


def record_shipment_email(
    order_id: str, shipment_id: str, kind: str, message_id: str, *, orders: OrderRepository, clock: Clock
) -> str:
    """Keeps the message id on the order (harmless to repeat); the first one recorded."""
    return update_order(orders, order_id, lambda o: o.shipment_emailed(shipment_id, kind, message_id, clock.now()))


def cancellation_data(order: Order) -> dict[str, Any]:
    c = order.cancellation
    assert c is not None
    return {
        **content.greeting(order),
        "items": content.items(order, c.lines),
        "whole": "yes" if c.whole else "",
        # what was paid for them comes back in its own email; an authorization is simply released
        "refund_follows": "yes" if order.captured_amount > 0 else "",
    }


def send_cancellation_email(
    order_id: str, *, orders: OrderRepository, mailer: Mailer, template: str, clock: Clock
) -> str:
    """Once per order: cancelling again answers the same cancellation, and sends nothing."""
    message_id = mail_cancellation_email(order_id, orders=orders, mailer=mailer, template=template)
    return record_order_email(order_id, "cancelled", message_id, orders=orders, clock=clock)


def mail_cancellation_email(order_id: str, *, orders: OrderRepository, mailer: Mailer, template: str) -> str:
    """Sends the cancellation email unless the order records it; the message id."""
    order = _order(orders, order_id)
    if "cancelled" in order.emails:
        return order.emails["cancelled"]
    return mailer.send(template, order.customer.email, cancellation_data(order))


def record_order_email(order_id: str, kind: str, message_id: str, *, orders: OrderRepository, clock: Clock) -> str:
    """Keeps an order email's message id on the order (harmless to repeat); the first one recorded."""
    return update_order(orders, order_id, lambda o: o.emailed(kind, message_id, clock.now()))


def return_data(order: Order, rma_id: str, documents: DocumentStore) -> dict[str, Any]:
    rma = order.return_of(rma_id)
    label = rma.label
    return {
        **content.greeting(order),
        "items": content.items(order, [(line.line_id, line.quantity) for line in rma.lines]),
        "label_url": documents.url(label.document_key, LABEL_LINK_S) if label else "",
        "tracking_number": label.tracking_number if label else "",
        "link_days": str(LABEL_LINK_S // 86400),
    }


def send_return_email(
    order_id: str,
    rma_id: str,
    *,
    orders: OrderRepository,
    mailer: Mailer,
    documents: DocumentStore,
    template: str,
    clock: Clock,
) -> str:
    """Once per return, after its label is bought: the customer gets the label to print."""
    message_id = mail_return_email(
        order_id, rma_id, orders=orders, mailer=mailer, documents=documents, template=template
    )
    return record_order_email(order_id, return_email_kind(rma_id), message_id, orders=orders, clock=clock)


def return_email_kind(rma_id: str) -> str:
    return f"return_opened:{rma_id}"


def mail_return_email(
    order_id: str, rma_id: str, *, orders: OrderRepository, mailer: Mailer, documents: DocumentStore, template: str
) -> str:
    """Sends the return label email unless the order records it; the message id."""
    kind = return_email_kind(rma_id)
    order = _order(orders, order_id)
    if kind in order.emails:
        return order.emails[kind]
    return mailer.send(template, order.customer.email, return_data(order, rma_id, documents))

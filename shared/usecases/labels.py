"""Fulfilment: buy the carrier label for a packed shipment, the cheapest service meeting its level,
and send it to the node that packed the parcel (on the fulfilment topic, with links it may read).

A parcel the carrier refuses goes back to its node to be re-packed. At most one label per
shipment: a label already on the shipment is returned, and the carrier port
itself answers a repeated purchase for the same shipment with the first label.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.domain.errors import IllegalTransition
from shared.domain.order import Order
from shared.domain.routing import node_address
from shared.domain.shipment import ShipmentCancelled, ShipmentStatus
from shared.domain.shipping import Label, LabelRequest, ParcelRejected, choose_rate
from shared.links import shipment_links
from shared.ports import Carrier, Clock, FulfilmentRequests, Nodes, OrderRepository
from shared.usecases._update import update_order


def buy_label(
    order_id: str, shipment_id: str, *, orders: OrderRepository, nodes: Nodes, carrier: Carrier, clock: Clock
) -> Label | None:
    """The shipment's label; None for a pickup shipment, which needs none (the state machine has no
    Choice state on the method: this step answers for pickup at once)."""
    order = orders.get(order_id)
    assert order is not None
    shipment = order.shipment(shipment_id)
    if shipment.method == "pickup":
        return None
    if shipment.label is not None:
        return shipment.label
    if shipment.status == ShipmentStatus.CANCELLED:
        raise ShipmentCancelled(shipment_id)
    if shipment.status != ShipmentStatus.PACKED or shipment.parcel is None:
        raise IllegalTransition(shipment.status, ShipmentStatus.LABELLED)
    request = LabelRequest(
        shipment_id=shipment_id,
        order_id=order_id,
        order_ref=order.external_id,
        node_id=shipment.node_id,
        ship_from=node_address(nodes.get(shipment.node_id), shipment.node_id),
        ship_to=order.destination(),
        parcel=shipment.parcel,
        service_level=order.delivery.service_level,
    )
    try:
        quote = choose_rate(carrier.quote(request), order.delivery.service_level)
        label = carrier.buy(request, quote)
    except ParcelRejected as err:
        # not the order's failure: the node re-packs and reports packed again (the state machine
        # catches ParcelRejected and waits on the node once more)
        reason = str(err)
        update_order(orders, order_id, lambda o: o.parcel_refused(shipment_id, reason, clock.now()))
        raise

    def record(o: Order) -> Label:
        s = o.shipment(shipment_id)
        if s.label is None:
            s.labelled(label)
            o.shipment_labelled(shipment_id, clock.now())
        return s.label or label

    return update_order(orders, order_id, record)


def label_message(order: Order, shipment_id: str, at: datetime) -> dict[str, Any]:
    """What the node's warehouse system receives once the label is bought: print it, stick it on."""
    shipment = order.shipment(shipment_id)
    label = shipment.label
    assert label is not None
    return {
        "type": "label_ready",
        "order_id": order.order_id,
        "order_ref": order.external_id,
        "shipment_id": shipment_id,
        "node_id": shipment.node_id,
        "carrier": label.carrier,
        "service": label.service,
        "tracking_number": label.tracking_number,
        "tracking_url": label.tracking_url,
        "links": shipment_links(shipment_id, ("label", *shipment.documents)),
        "sent_at": at.isoformat(),
    }


def send_label(
    order_id: str, shipment_id: str, *, orders: OrderRepository, requests: FulfilmentRequests, clock: Clock
) -> None:
    """Tells the node its shipment's label is ready (the handler makes this once per shipment)."""
    order = orders.get(order_id)
    assert order is not None
    message = label_message(order, shipment_id, clock.now())
    requests.send(message["node_id"], message)

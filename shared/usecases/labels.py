"""Fulfilment: buy the carrier label for a packed shipment, the cheapest service meeting its level.

A parcel the carrier refuses goes back to its node to be re-packed. At most one label per
shipment: a label already on the shipment is returned, and the carrier port
itself answers a repeated purchase for the same shipment with the first label.
"""

from __future__ import annotations

from shared.domain.errors import IllegalTransition
from shared.domain.order import Order
from shared.domain.routing import node_address
from shared.domain.shipment import ShipmentCancelled, ShipmentStatus
from shared.domain.shipping import Label, LabelRequest, ParcelRejected, choose_rate
from shared.ports import Carrier, Clock, Nodes, OrderRepository
from shared.usecases._update import update_order


def buy_label(
    order_id: str, shipment_id: str, *, orders: OrderRepository, nodes: Nodes, carrier: Carrier, clock: Clock
) -> Label:
    order = orders.get(order_id)
    assert order is not None
    shipment = order.shipment(shipment_id)
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

"""Fulfilment: wait for the carrier (or the customer at the store) to complete a shipment (the
hand-over task keeps its token once the parcel has left and the customer was told)."""

from __future__ import annotations

from shared.domain.order import Order
from shared.ports import OrderRepository, TaskSignals
from shared.usecases._update import update_order
from shared.usecases.signals import answer_delivery


def await_delivery(
    order_id: str, shipment_id: str, token: str, *, orders: OrderRepository, signals: TaskSignals
) -> bool:
    """Stores the token the delivered event answers; answers it now if delivery already happened."""

    def remember(order: Order) -> None:
        order.shipment(shipment_id).delivery_token = token

    update_order(orders, order_id, remember)
    order = orders.get(order_id)
    assert order is not None
    return answer_delivery(order.shipment(shipment_id), signals)

"""Fulfilment: wait for the carrier (or the customer at the store) to complete a shipment (the
hand-over task keeps its token once the parcel has left and the customer was told)."""

from __future__ import annotations

from collections.abc import Callable

from shared.domain.order import Order
from shared.domain.shipment import Shipment, ShipmentStatus
from shared.ports import OrderRepository, TaskSignals
from shared.usecases._update import update_order
from shared.usecases.signals import answer_delivery


def await_delivery(
    order_id: str,
    shipment_id: str,
    token: str,
    *,
    orders: OrderRepository,
    signals: TaskSignals,
    before_answer: Callable[[Shipment], object] | None = None,
) -> bool:
    """Stores the token the delivered event answers; answers it now if delivery already happened,
    after `before_answer(shipment)` (what must be done before the task may end)."""

    def remember(order: Order) -> None:
        order.shipment(shipment_id).delivery_token = token

    update_order(orders, order_id, remember)
    order = orders.get(order_id)
    assert order is not None
    shipment = order.shipment(shipment_id)
    if before_answer is not None and shipment.status == ShipmentStatus.DELIVERED:
        before_answer(shipment)
    return answer_delivery(shipment, signals)

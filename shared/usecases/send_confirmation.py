"""Fulfilment step 2: email the customer the order confirmation."""

from __future__ import annotations

from typing import Any

from shared.domain.errors import OrderNotFound
from shared.domain.money import format_money
from shared.domain.order import Order
from shared.ports import Clock, Mailer, OrderRepository
from shared.usecases._update import update_order


def confirmation_data(order: Order) -> dict[str, Any]:
    """Template data, all strings: SES renders numbers too, but moto's renderer only strings."""
    delivery = (
        f"pickup at {order.delivery.pickup_node}"
        if order.delivery.method == "pickup"
        else f"{order.delivery.service_level} shipping to {order.ship_to.city}, {order.ship_to.country}"
    )
    return {
        "order_ref": order.external_id,
        "customer_name": order.customer.name,
        "lines": [
            {
                "sku": line.sku,
                "quantity": str(line.quantity),
                "amount": format_money(line.amount, order.currency),
            }
            for line in order.lines
        ],
        "grand_total": format_money(order.totals.grand_total, order.currency),
        "delivery": delivery,
    }


def send_confirmation(order_id: str, *, orders: OrderRepository, mailer: Mailer, template: str, clock: Clock) -> str:
    """Sends the confirmation and records it on the order; returns the message id.

    The caller wraps this in an idempotency record keyed on the order, so a retried step
    returns the first message id instead of sending again.
    """
    order = orders.get(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    if order.confirmation_message_id is not None:
        return order.confirmation_message_id  # a retried step after the email went out
    message_id = mailer.send(template, order.customer.email, confirmation_data(order))
    update_order(orders, order_id, lambda o: o.confirm_sent(message_id, clock.now()))
    return message_id

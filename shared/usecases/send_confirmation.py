"""Preparation step 2: email the customer the order confirmation."""

from __future__ import annotations

from typing import Any

from shared.domain.errors import OrderNotFound
from shared.domain.order import Order, OrderStatus
from shared.email import content
from shared.ports import Clock, Mailer, OrderRepository
from shared.usecases._update import update_order


def confirmation_data(order: Order) -> dict[str, Any]:
    """Template data: every line, and the totals they add up to (shipping and tax shown)."""
    if order.delivery.method == "pickup":
        delivery = "Pickup in store: we will email you the store's address when your order is ready"
    else:
        to = order.destination()
        speed = "Express" if order.delivery.service_level == "express" else "Standard"
        delivery = f"{speed} shipping to {to.name}, {to.city}, {to.country}"
    return {
        **content.greeting(order),
        "items": content.items(order, [(line.line_id, line.quantity) for line in order.lines], priced=True),
        **content.totals(order),
        "delivery": delivery,
        "pickup": "yes" if order.delivery.method == "pickup" else "",
    }


def confirmation_due(payment_outcome: str) -> bool:
    """Whether the fulfilment step confirms the order: only once CheckPayment verified its payment
    (the state machine has no Choice state on that outcome; a held order is confirmed by the
    execution its release starts). Decided before the idempotency record, whose "nothing sent" would
    answer that later execution for a week."""
    return payment_outcome == "verified"


def not_confirmed(order_id: str, payment_outcome: str, *, orders: OrderRepository) -> str | None:
    """Why the step confirms nothing, if it does not: the payment is not verified (confirmation_due),
    or the order was cancelled before its confirmation went out. A cancellation cannot stop a run's
    preparation (an Express execution), so the step looks; the cancellation email tells the customer."""
    if not confirmation_due(payment_outcome):
        return "the payment is not verified"
    order = orders.get(order_id)
    if order is not None and order.status == OrderStatus.CANCELLED and order.confirmation_message_id is None:
        return "the order was cancelled before it was confirmed"
    return None


def send_confirmation(order_id: str, *, orders: OrderRepository, mailer: Mailer, template: str, clock: Clock) -> str:
    """Sends the confirmation and records it on the order; returns the message id."""
    message_id = mail_confirmation(order_id, orders=orders, mailer=mailer, template=template)
    return record_confirmation(order_id, message_id, orders=orders, clock=clock)


def mail_confirmation(order_id: str, *, orders: OrderRepository, mailer: Mailer, template: str) -> str:
    """Sends the confirmation unless the order records it; the message id. The handler's
    idempotency record covers this step only (shared.exactly_once.mailed_once)."""
    order = orders.get(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    if order.confirmation_message_id is not None:
        return order.confirmation_message_id  # a retried step after the email went out
    return mailer.send(template, order.customer.email, confirmation_data(order))


def record_confirmation(order_id: str, message_id: str, *, orders: OrderRepository, clock: Clock) -> str:
    """Keeps the message id on the order (harmless to repeat); the first one recorded."""
    return update_order(orders, order_id, lambda o: o.confirm_sent(message_id, clock.now()))

"""Take the money when goods leave: an authorized (requires_capture) payment is captured at the
first hand-over, for the order's total. Retried steps capture nothing twice: the captured amount is
recorded on the order, and Stripe answers a second capture with the intent as it is."""

from __future__ import annotations

from shared.domain.errors import OrderNotFound, PaymentIntentMissing
from shared.ports import Clock, OrderRepository, PaymentGateway
from shared.usecases._update import update_order


def capture_for_shipping(order_id: str, *, orders: OrderRepository, payments: PaymentGateway, clock: Clock) -> int:
    """What the PaymentIntent has taken, capturing an authorization first; 0 if nothing can be taken."""
    order = orders.get(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    if order.captured_amount > 0:
        return order.captured_amount
    intent = payments.get_intent(order.payment_intent)
    if intent is None:
        # permanent: the state machine records an exception instead of retrying an outage that is not one
        raise PaymentIntentMissing(order.payment_intent, "at capture")
    if intent.status == "requires_capture":
        intent = payments.capture(intent.intent_id, min(intent.amount_capturable, order.totals.grand_total))
    captured = intent.amount_received if intent.status == "succeeded" else 0
    if captured > 0:
        update_order(
            orders, order_id, lambda o: o.payment_captured(captured, clock.now()) if not o.captured_amount else None
        )
    return captured

"""Whether a payment covers an order. Pure: the PaymentIntent is passed in as read from Stripe."""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain.order import Order

ACCEPTED_STATUSES = frozenset({"succeeded", "requires_capture"})


@dataclass(frozen=True)
class PaymentIntent:
    intent_id: str
    status: str
    currency: str  # upper-case ISO 4217
    amount: int  # minor units
    amount_capturable: int
    amount_received: int


def hold_reason(order: Order, intent: PaymentIntent | None) -> str | None:
    """None when the payment covers the order, else a reason a person can act on."""
    if intent is None:
        return f"payment intent {order.payment_intent} does not exist"
    if intent.status not in ACCEPTED_STATUSES:
        return f"payment intent status is {intent.status}, expected succeeded or requires_capture"
    if intent.currency != order.currency:
        return f"payment currency {intent.currency} does not match order currency {order.currency}"
    covered = intent.amount_received if intent.status == "succeeded" else intent.amount_capturable
    if covered < order.totals.grand_total:
        return f"payment covers {covered} but the order total is {order.totals.grand_total} {order.currency}"
    return None

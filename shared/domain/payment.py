"""Whether a payment covers an order. Pure: the PaymentIntent is passed in as read from Stripe."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.records import record

# Only annotations name the order: the Stripe adapters import this module, and a function that
# refunds or reconciles (finance_api) has no use for the order aggregate (~30 ms of its init).
if TYPE_CHECKING:
    from shared.domain.order import Order

ACCEPTED_STATUSES = frozenset({"succeeded", "requires_capture"})


@record
class PaymentIntent:
    intent_id: str
    status: str
    currency: str  # upper-case ISO 4217
    amount: int  # minor units
    amount_capturable: int
    amount_received: int


# Why an order is held for payment, as a code a channel or a person can act on.
NOT_FOUND = "payment_not_found"
NOT_AUTHORIZED = "payment_not_authorized"
CURRENCY_MISMATCH = "payment_currency_mismatch"
INSUFFICIENT = "payment_insufficient"
ALREADY_USED = "payment_already_used"


@record
class PaymentHold:
    code: str
    reason: str


def payment_hold(order: Order, intent: PaymentIntent | None) -> PaymentHold | None:
    """None when the payment covers the order, else why not."""
    if intent is None:
        return PaymentHold(NOT_FOUND, f"payment intent {order.payment_intent} does not exist")
    if intent.status not in ACCEPTED_STATUSES:
        return PaymentHold(
            NOT_AUTHORIZED, f"payment intent status is {intent.status}, expected succeeded or requires_capture"
        )
    if intent.currency != order.currency:
        return PaymentHold(
            CURRENCY_MISMATCH, f"payment currency {intent.currency} does not match order currency {order.currency}"
        )
    covered = intent.amount_received if intent.status == "succeeded" else intent.amount_capturable
    if covered < order.totals.grand_total:
        return PaymentHold(
            INSUFFICIENT, f"payment covers {covered} but the order total is {order.totals.grand_total} {order.currency}"
        )
    return None


def already_used(intent_id: str, by_order: str) -> PaymentHold:
    """A PaymentIntent backs exactly one order: the first order whose payment check claimed it."""
    return PaymentHold(ALREADY_USED, f"payment intent {intent_id} already pays for order {by_order}")


def hold_reason(order: Order, intent: PaymentIntent | None) -> str | None:
    """None when the payment covers the order, else a reason a person can act on."""
    hold = payment_hold(order, intent)
    return hold.reason if hold else None

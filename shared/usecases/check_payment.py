"""Preparation step 1: the order's PaymentIntent must exist and cover the order, else ON_HOLD."""

from __future__ import annotations

from shared.domain.order import Order, OrderStatus, PaymentCheck
from shared.domain.payment import already_used, payment_hold
from shared.ports import Clock, OrderRepository, PaymentClaims, PaymentGateway
from shared.records import record
from shared.usecases._update import update_order


@record
class PaymentOutcome:
    outcome: str  # "verified" | "on_hold" | "skipped"
    reason: str | None


def check_payment(
    order_id: str, *, orders: OrderRepository, payments: PaymentGateway, claims: PaymentClaims, clock: Clock
) -> PaymentOutcome:
    def decide(order: Order) -> PaymentOutcome:
        # A retried step answers what the first run decided instead of checking again.
        if order.payment_check == PaymentCheck.VERIFIED:
            return PaymentOutcome("verified", None)
        if order.payment_check == PaymentCheck.FAILED:
            return PaymentOutcome("on_hold", order.hold_reason)
        if order.status != OrderStatus.RECEIVED:
            return PaymentOutcome("skipped", f"order is {order.status}")
        # Raises PaymentProviderUnavailable when Stripe is down: the state machine retries.
        intent = payments.get_intent(order.payment_intent)
        hold = payment_hold(order, intent)
        if hold is None and intent is not None:
            # One PaymentIntent backs one order: the first check to claim it wins (a conditional
            # write), a retried check of the same order finds its own claim.
            owner = claims.claim(intent.intent_id, order.order_id)
            if owner != order.order_id:
                hold = already_used(intent.intent_id, owner)
        if hold is None:
            captured = intent.amount_received if intent is not None and intent.status == "succeeded" else 0
            order.verify_payment(clock.now(), captured)
            return PaymentOutcome("verified", None)
        order.hold_for_payment(hold.reason, clock.now(), hold.code)
        return PaymentOutcome("on_hold", hold.reason)

    return update_order(orders, order_id, decide)

"""Refunds: recorded in the ledger before Stripe is asked, paid at most once, settled from the answer.

The ledger entry's key comes from (order, cause), so asking again for the same cause finds the same
entry; the ledger's conditional write keeps the refunded total within what was captured; and the
Stripe adapter looks for a refund already made for the entry before it makes one.
"""

from __future__ import annotations

import hashlib

from shared import metrics
from shared.domain.errors import OrderNotFound
from shared.domain.order import Order
from shared.domain.refunds import (
    LedgerEntry,
    RefundAmount,
    RefundNotFound,
    RefundReason,
    RefundRejected,
    RefundStatus,
    refund_for_units,
    refund_key,
    status_of_stripe,
)
from shared.email.content import format_money, greeting
from shared.ports import Clock, Mailer, OrderRepository, PaymentGateway, RefundGateway, RefundLedger
from shared.usecases._update import update_order


def refund_id_for(key: str) -> str:
    return "rf_" + hashlib.sha256(key.encode()).hexdigest()[:20]


def open_refund(
    order: Order,
    amount: RefundAmount,
    reason: RefundReason,
    cause_id: str,
    *,
    ledger: RefundLedger,
    clock: Clock,
    captured: int | None = None,
) -> LedgerEntry | None:
    """The PENDING entry for this cause (the first one, when asked again); None when nothing is owed.

    `captured` is what the PaymentIntent took; by default what the payment check recorded."""
    captured = order.captured_amount if captured is None else captured
    if captured <= 0 or amount.total <= 0:
        return None
    key = refund_key(order.order_id, cause_id)
    entry = LedgerEntry(
        refund_id=refund_id_for(key),
        order_id=order.order_id,
        payment_intent=order.payment_intent,
        amount=amount.total,
        currency=order.currency,
        reason=reason,
        cause_id=cause_id,
        idempotency_key=key,
        status=RefundStatus.PENDING,
        stripe_refund_id=None,
        failure_reason=None,
        created_at=clock.now(),
        settled_at=None,
    )
    return ledger.open(entry, captured)


def pay_refund(refund_id: str, *, ledger: RefundLedger, gateway: RefundGateway, clock: Clock) -> LedgerEntry:
    """Asks Stripe for the entry's refund (once) and settles the entry from the answer."""
    entry = ledger.get(refund_id)
    if entry is None:
        raise RefundNotFound(refund_id)
    if entry.status != RefundStatus.PENDING:
        return entry  # a retried step, or the webhook settled it first
    try:
        refund = gateway.refund(entry)  # PaymentProviderUnavailable: the state machine retries
    except RefundRejected as err:
        metrics.refund_failed()
        return ledger.settle(refund_id, RefundStatus.FAILED, None, str(err), clock.now())
    status = status_of_stripe(refund.status)
    if status == RefundStatus.PENDING:
        return entry  # Stripe is still working on it: its webhook settles the entry
    return ledger.settle(
        refund_id, status, refund.id, None if status == RefundStatus.SUCCEEDED else refund.status, clock.now()
    )


def send_refund_email(
    order_id: str,
    refund_id: str,
    *,
    orders: OrderRepository,
    ledger: RefundLedger,
    mailer: Mailer,
    template: str,
    clock: Clock,
) -> str:
    """One email per refund: the message id is kept on the order (the caller holds an idempotency record)."""
    order = orders.get(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    if refund_id in order.refund_emails:
        return order.refund_emails[refund_id]
    entry = ledger.get(refund_id)
    if entry is None:
        raise RefundNotFound(refund_id)
    data = {
        **greeting(order),
        "amount": format_money(entry.amount, entry.currency),
        "reason": "order cancelled" if entry.reason == RefundReason.CANCELLATION else "items returned",
        "refund_id": refund_id,
    }
    message_id = mailer.send(template, order.customer.email, data)
    return update_order(orders, order_id, lambda o: o.refund_emailed(refund_id, message_id, clock.now()))


def open_cancellation_refund(
    order_id: str, *, orders: OrderRepository, payments: PaymentGateway, ledger: RefundLedger, clock: Clock
) -> LedgerEntry | None:
    """The refund a cancellation owes: the cancelled lines, their tax share, and shipping when the
    whole order was cancelled. What was captured comes from the payment check, or from Stripe when
    the order was cancelled before the check ran (an authorization not captured is owed nothing)."""
    order = orders.get(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    cancellation = order.cancellation
    if cancellation is None:
        return None
    captured = order.captured_amount
    if captured <= 0:
        intent = payments.get_intent(order.payment_intent)  # PaymentProviderUnavailable: retried
        if intent is not None and intent.status == "requires_capture" and cancellation.whole:
            payments.void(intent.intent_id)  # nothing was taken: the authorization is released instead
            update_order(orders, order_id, lambda o: o.authorization_released(clock.now()))
            return None
        valid = intent is not None and intent.status == "succeeded" and intent.currency == order.currency
        captured = intent.amount_received if intent is not None and valid else 0
    amount = refund_for_units(
        [(line.line_id, line.quantity, line.unit_amount) for line in order.lines],
        order.tax_amount,
        order.shipping_amount,
        dict(cancellation.lines),
        all_lines_now_refunded=cancellation.whole,
    )
    # an underpaid order held for payment gives back what was taken, never more
    owed = RefundAmount(captured, 0, 0) if amount.total > captured else amount
    return open_refund(order, owed, RefundReason.CANCELLATION, "cancel", ledger=ledger, clock=clock, captured=captured)

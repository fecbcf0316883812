"""Refunds: recorded in the ledger before Stripe is asked, paid at most once, settled from the answer.

The ledger entry's key comes from (order, cause), so asking again for the same cause finds the same
entry; the ledger's conditional write keeps the refunded total within what was captured; and the
Stripe adapter looks for a refund already made for the entry before it makes one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Protocol

from shared import metrics
from shared.domain.errors import OrderNotFound
from shared.domain.order import Order
from shared.domain.payment import ALREADY_USED
from shared.domain.refund_ledger import (
    LedgerEntry,
    RefundExceedsCaptured,
    RefundNotFound,
    RefundReason,
    RefundRejected,
    RefundStatus,
    StripeRefund,
    refund_key,
    status_of_stripe,
)
from shared.domain.refund_policy import RefundAmount, refund_for_units
from shared.email.content import format_money, greeting
from shared.ports import Clock, Mailer, OrderRepository, PaymentGateway, RefundGateway, RefundLedger
from shared.usecases._update import update_order

# the cause of a cancellation's refund: one per order
CANCEL_CAUSE = "cancel"
# the subject of a refund_failed exception for a cancellation's refund that could not be opened
OWED_CANCEL = f"owed:{CANCEL_CAUSE}"


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
    currency: str | None = None,
) -> LedgerEntry | None:
    """The PENDING entry for this cause (the first one, when asked again); None when nothing is owed.

    `captured` is what the PaymentIntent took, by default what the payment check recorded; in
    `currency`, by default the order's (a payment in another currency is refunded in its own)."""
    captured = order.captured_amount if captured is None else captured
    if captured <= 0 or amount.total <= 0:
        return None
    key = refund_key(order.order_id, cause_id)
    entry = LedgerEntry(
        refund_id=refund_id_for(key),
        order_id=order.order_id,
        payment_intent=order.payment_intent,
        amount=amount.total,
        currency=currency or order.currency,
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


def pay_refund_step(refund_id: str, *, ledger: RefundLedger, gateway: RefundGateway, clock: Clock) -> LedgerEntry:
    """pay_refund as the refunds state machine runs it: an entry that ends FAILED (Stripe refused the
    refund, or failed it) raises RefundRejected, which the state machine's catch records like any
    other failure. A Choice state on the answer would cost a transition on every refund paid."""
    entry = pay_refund(refund_id, ledger=ledger, gateway=gateway, clock=clock)
    if entry.status == RefundStatus.FAILED:
        raise RefundRejected(entry.failure_reason or "Stripe refused the refund")
    return entry


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
    """One email per refund: the message id is kept on the order."""
    message_id = mail_refund_email(order_id, refund_id, orders=orders, ledger=ledger, mailer=mailer, template=template)
    return record_refund_email(order_id, refund_id, message_id, orders=orders, clock=clock)


def mail_refund_email(
    order_id: str, refund_id: str, *, orders: OrderRepository, ledger: RefundLedger, mailer: Mailer, template: str
) -> str:
    """Sends the refund email unless the order records it; the message id. The handler's
    idempotency record covers this step only (shared.exactly_once.mailed_once)."""
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
    return mailer.send(template, order.customer.email, data)


def record_refund_email(
    order_id: str, refund_id: str, message_id: str, *, orders: OrderRepository, clock: Clock
) -> str:
    """Keeps the message id on the order (harmless to repeat); the first one recorded."""
    return update_order(orders, order_id, lambda o: o.refund_emailed(refund_id, message_id, clock.now()))


def open_cancellation_refund(
    order_id: str, *, orders: OrderRepository, payments: PaymentGateway, ledger: RefundLedger, clock: Clock
) -> LedgerEntry | None:
    """The refund a cancellation owes, opened from what is owed on record: the cancelled lines,
    their tax share, and shipping when the whole order was cancelled. What was captured comes from
    the payment check, or from Stripe when the order was cancelled before the check ran (an
    authorization not captured is released instead: nothing is owed). The owed record is
    discharged either way."""
    order = orders.get(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    if order.cancellation is None:
        return None
    entry = ledger.find(refund_key(order_id, CANCEL_CAUSE))
    try:
        if entry is None and order.captured_amount > 0:
            entry = _open_cancellation(order, order.captured_amount, order.currency, ledger=ledger, clock=clock)
        elif entry is None and order.hold_code != ALREADY_USED:  # that intent pays for another order
            intent = payments.get_intent(order.payment_intent)  # PaymentProviderUnavailable: retried
            if intent is not None and intent.status == "requires_capture" and order.cancellation.whole:
                payments.void(intent.intent_id)  # nothing was taken: the authorization is released instead
                update_order(orders, order_id, lambda o: o.authorization_released(clock.now()))
            elif intent is not None and intent.status == "succeeded":
                entry = _open_cancellation(order, intent.amount_received, intent.currency, ledger=ledger, clock=clock)
    except RefundExceedsCaptured as err:
        owed_refund_failed(order_id, err, orders=orders, clock=clock)
    ledger.discharge(order_id, CANCEL_CAUSE)
    return entry


def owed_refund_failed(order_id: str, err: RefundExceedsCaptured, *, orders: OrderRepository, clock: Clock) -> None:
    """What is owed cannot be refunded (more than the PaymentIntent has left): asking again would
    fail the same way for ever, so the order carries a refund_failed exception for a person instead."""
    update_order(orders, order_id, lambda o: o.refund_failed(OWED_CANCEL, str(err), clock.now()))
    metrics.refund_failed()


def record_cancellation_refund(order: Order, *, ledger: RefundLedger, clock: Clock) -> LedgerEntry | None:
    """Before any provider is called: the cancellation's refund is on record, as a PENDING entry
    when what was captured is known, else as owed (the refunds flow asks Stripe and opens it)."""
    entry = ledger.find(refund_key(order.order_id, CANCEL_CAUSE))
    if entry is not None:
        return entry
    ledger.owe(order.order_id, CANCEL_CAUSE, clock.now())
    if order.captured_amount <= 0:
        return None
    entry = _open_cancellation(order, order.captured_amount, order.currency, ledger=ledger, clock=clock)
    ledger.discharge(order.order_id, CANCEL_CAUSE)  # opened (or nothing owed): the record goes
    return entry


def _open_cancellation(
    order: Order, captured: int, currency: str, *, ledger: RefundLedger, clock: Clock
) -> LedgerEntry | None:
    cancellation = order.cancellation
    assert cancellation is not None
    if currency != order.currency:
        # paid in another currency (a held order, never shipped): what was taken goes back, in its currency
        owed = RefundAmount(captured, 0, 0)
    else:
        amount = refund_for_units(
            [(line.line_id, line.quantity, line.unit_amount) for line in order.lines],
            order.tax_amount,
            order.shipping_amount,
            dict(cancellation.lines),
            all_lines_now_refunded=cancellation.whole,
            already=units_refunded_before(order),
        )
        # an underpaid order held for payment gives back what was taken, never more
        owed = RefundAmount(captured, 0, 0) if amount.total > captured else amount
    return open_refund(
        order,
        owed,
        RefundReason.CANCELLATION,
        CANCEL_CAUSE,
        ledger=ledger,
        clock=clock,
        captured=captured,
        currency=currency,
    )


class RefundLookup(Protocol):
    def find(self, entry: LedgerEntry) -> StripeRefund | None:
        """The provider's refund made for this entry, if any."""


def record_refund_failure(
    refund_id: str, cause: str, *, ledger: RefundLedger, gateway: Callable[[], RefundLookup], clock: Clock
) -> LedgerEntry | None:
    """A refund failed for good: its PENDING entry becomes FAILED with the cause, unless the provider
    made the refund after all. A step can fail after Stripe made it (a timeout, a failed write):
    calling that FAILED would free its amount for a second refund, so Stripe's own record decides."""
    entry = ledger.get(refund_id)
    if entry is None or entry.status != RefundStatus.PENDING:
        return entry
    made = gateway().find(entry)
    if made is None:
        failed = ledger.settle(entry.refund_id, RefundStatus.FAILED, None, cause, clock.now())
        metrics.refund_failed()
        return failed
    if status_of_stripe(made.status) != RefundStatus.PENDING:
        return ledger.settle(entry.refund_id, status_of_stripe(made.status), made.id, None, clock.now())
    return entry


def units_refunded_before(order: Order, rma_id: str | None = None, number: int | None = None) -> dict[str, int]:
    """Units of each line refunded before the refund being opened (for receipt `number` of `rma_id`,
    or for the cancellation when None): what was cancelled, and what came back in receipts settled."""
    gone: dict[str, int] = dict(order.cancellation.lines) if order.cancellation and rma_id is not None else {}
    for r in order.returns:
        for i, receipt in enumerate(r.receipts):
            if receipt.settled and not (r.rma_id == rma_id and i == number):
                for line_id, qty in receipt.units.items():
                    gone[line_id] = gone.get(line_id, 0) + qty
    return gone

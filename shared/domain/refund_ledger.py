"""The refund ledger's rules: an entry, its statuses and reasons, its idempotency key, and what
the payment provider's refund means for it. Pure: no I/O.

Money is in integer minor units of an ISO 4217 currency throughout.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime
from enum import StrEnum

from shared.domain.errors import DomainError
from shared.records import record


class RefundStatus(StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class RefundReason(StrEnum):
    CANCELLATION = "cancellation"
    RETURN = "return"
    GOODWILL = "goodwill"


class RefundExceedsCaptured(DomainError):
    """The refund would take the total refunded on the PaymentIntent above what was captured."""

    code = "refund_exceeds_captured"
    http_status = 409

    def __init__(self, payment_intent: str, amount: int, captured: int) -> None:
        super().__init__(f"refunding {amount} more on {payment_intent} would exceed the {captured} captured")
        self.payment_intent = payment_intent
        self.amount = amount
        self.captured = captured


class RefundAlreadySettled(DomainError):
    """A refund settled one way cannot be settled the other way."""

    code = "refund_already_settled"

    def __init__(self, refund_id: str, current: RefundStatus, wanted: RefundStatus) -> None:
        super().__init__(f"refund {refund_id} is {current}, it cannot become {wanted}")
        self.current = current
        self.wanted = wanted


class RefundNotFound(DomainError):
    code = "not_found"

    def __init__(self, refund_id: str) -> None:
        super().__init__(f"refund {refund_id} not found")


class RefundRejected(DomainError):
    """The payment provider refused the refund for good (bad request, already refunded, ...)."""

    code = "refund_rejected"

    def __init__(self, message: str, provider_code: str | None = None) -> None:
        super().__init__(message)
        self.provider_code = provider_code


class InvalidWebhookSignature(DomainError):
    code = "invalid_webhook_signature"
    http_status = 400

    def http_code(self) -> str:
        return "invalid_signature"

    def http_message(self) -> str:
        return f"the Stripe-Signature header does not verify: {self}"


class MalformedWebhook(DomainError):
    """A signed event whose content is not what Stripe sends: answered 400, never retried into a 500."""

    code = "malformed_event"
    http_status = 400

    def http_message(self) -> str:
        return f"the signed event is not shaped as Stripe's: {self}"


class InvalidRefundRequest(DomainError):
    code = "invalid_refund"


# --- the ledger entry ------------------------------------------------------------------------------


@record
class LedgerEntry:
    """One refund as Waybill records it: written PENDING before Stripe is called, settled after."""

    refund_id: str
    order_id: str
    payment_intent: str
    amount: int  # minor units, > 0
    currency: str  # upper-case ISO 4217
    reason: RefundReason
    cause_id: str  # what asked for the refund: the cancel request, the RMA, the goodwill ticket
    idempotency_key: str
    status: RefundStatus
    stripe_refund_id: str | None
    failure_reason: str | None
    created_at: datetime
    settled_at: datetime | None

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise InvalidRefundRequest(f"a refund amount must be > 0, got {self.amount}")
        if self.created_at.tzinfo is None:
            raise InvalidRefundRequest("created_at must be timezone-aware")

    def settled(
        self, status: RefundStatus, stripe_refund_id: str | None, failure_reason: str | None, at: datetime
    ) -> LedgerEntry | None:
        """The entry settled PENDING -> SUCCEEDED or FAILED; None when it already was, with this
        outcome (settling again changes nothing); RefundAlreadySettled for the other outcome."""
        if status is RefundStatus.PENDING:
            raise ValueError("a refund settles SUCCEEDED or FAILED")
        if status is RefundStatus.SUCCEEDED and stripe_refund_id is None:
            raise ValueError("a SUCCEEDED refund has a Stripe refund id")
        if self.status is not RefundStatus.PENDING:
            if self.status is status:
                return None
            raise RefundAlreadySettled(self.refund_id, self.status, status)
        return replace(
            self, status=status, stripe_refund_id=stripe_refund_id, failure_reason=failure_reason, settled_at=at
        )


@record
class Owed:
    """A refund owed whose amount is not known yet (what was captured must be asked of Stripe):
    recorded before any provider call, so that a retry, the sweep or ops can always finish it.
    It is discharged when the refund's ledger entry is opened, or when nothing turns out owed."""

    order_id: str
    cause_id: str
    since: datetime


def refund_key(order_id: str, cause_id: str) -> str:
    """The idempotency key of the refund that `cause_id` asks for on `order_id`: the same cause always
    gives the same key, hence the same ledger entry and at most one Stripe refund."""
    digest = hashlib.sha256(f"{order_id}\x1f{cause_id}".encode()).hexdigest()[:32]
    return f"wbrf_{digest}"


def status_of_stripe(stripe_status: str) -> RefundStatus:
    """Stripe's refund status as a ledger status (pending and requires_action are not settled yet)."""
    if stripe_status == "succeeded":
        return RefundStatus.SUCCEEDED
    if stripe_status in ("failed", "canceled"):
        return RefundStatus.FAILED
    return RefundStatus.PENDING


@record
class StripeRefund:
    """A refund as Stripe reports it."""

    id: str
    payment_intent: str | None
    amount: int
    currency: str  # upper-case ISO 4217
    status: str  # Stripe's: pending, requires_action, succeeded, failed, canceled
    created: datetime
    metadata_refund_id: str | None

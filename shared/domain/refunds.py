"""Refunds: the ledger entry, the refund policy (how much of an order a refund gives back) and the
reconciliation of the ledger against Stripe's refunds. Pure: no I/O, everything is passed in.

Money is in integer minor units of an ISO 4217 currency throughout.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from shared.domain.errors import DomainError


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


class InvalidRefundRequest(DomainError):
    code = "invalid_refund"


# --- the ledger entry ------------------------------------------------------------------------------


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


# --- the refund policy -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LineValue:
    """An order line as the refund policy sees it: its id and its value (quantity x unit amount)."""

    line_id: str
    amount: int


@dataclass(frozen=True)
class RefundAmount:
    lines: int
    tax: int
    shipping: int

    @property
    def total(self) -> int:
        return self.lines + self.tax + self.shipping


def tax_shares(order_lines: Sequence[LineValue], order_tax: int) -> dict[str, int]:
    """The order's tax split over its lines pro rata by line value, in whole minor units, by the
    largest-remainder method: every share is floor(tax x value / total value), and the units left
    over go one each to the lines with the largest remainders (ties: the earlier line). The shares
    sum exactly to `order_tax` and depend only on the order, never on what was refunded before.
    When every line is worth 0, the tax is split evenly by line."""
    if order_tax < 0:
        raise InvalidRefundRequest(f"order tax must be >= 0, got {order_tax}")
    if not order_lines:
        return {}
    weights = [line.amount for line in order_lines]
    if any(w < 0 for w in weights):
        raise InvalidRefundRequest("line amounts must be >= 0")
    if sum(weights) == 0:
        weights = [1] * len(order_lines)
    total = sum(weights)
    shares = [order_tax * w // total for w in weights]
    left = order_tax - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(order_tax * weights[i] % total), i))
    for i in by_remainder[:left]:
        shares[i] += 1
    return {line.line_id: share for line, share in zip(order_lines, shares, strict=True)}


def refund_for_lines(
    order_lines: Sequence[LineValue],
    order_tax: int,
    order_shipping: int,
    lines_to_refund: Collection[str],
    *,
    all_lines_now_refunded: bool,
) -> RefundAmount:
    """How much a refund of whole order lines gives back. The policy:

    - Lines: the full value of each refunded line.
    - Tax: each line carries a fixed share of the order's tax (`tax_shares`: pro rata by line value,
      largest remainder), and a refund gives back the shares of its lines. However the lines are
      refunded, in one go or in pieces, the tax refunded over all of them is exactly the order's tax,
      and never more.
    - Shipping: refunded in full, once, with the refund after which every line of the order is
      refunded (`all_lines_now_refunded`): the whole order was cancelled before it shipped, or all of
      it came back. While any line is kept, the customer keeps the shipping they paid for.

    A line is refunded at most once: the caller passes only lines not refunded before (the ledger's
    cap on the PaymentIntent guards the money regardless). Part of a line's units: `refund_for_units`.
    """
    if order_shipping < 0:
        raise InvalidRefundRequest(f"order shipping must be >= 0, got {order_shipping}")
    by_id = {line.line_id: line for line in order_lines}
    if len(by_id) != len(order_lines):
        raise InvalidRefundRequest("order line ids must be unique")
    wanted = list(lines_to_refund)
    if len(set(wanted)) != len(wanted):
        raise InvalidRefundRequest("a line can be refunded only once")
    unknown = sorted(set(wanted) - by_id.keys())
    if unknown:
        raise InvalidRefundRequest(f"not lines of the order: {', '.join(unknown)}")
    shares = tax_shares(order_lines, order_tax)
    return RefundAmount(
        lines=sum(by_id[line_id].amount for line_id in wanted),
        tax=sum(shares[line_id] for line_id in wanted),
        shipping=order_shipping if all_lines_now_refunded else 0,
    )


# --- reconciliation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StripeRefund:
    """A refund as Stripe reports it."""

    id: str
    payment_intent: str | None
    amount: int
    currency: str  # upper-case ISO 4217
    status: str  # Stripe's: pending, requires_action, succeeded, failed, canceled
    created: datetime
    metadata_refund_id: str | None


class Match(StrEnum):
    MATCHED = "matched"
    MISSING_IN_STRIPE = "missing_in_stripe"
    MISSING_IN_WAYBILL = "missing_in_waybill"
    AMOUNT_MISMATCH = "amount_mismatch"
    STATUS_MISMATCH = "status_mismatch"


@dataclass(frozen=True)
class ReconciliationRow:
    kind: Match
    refund_id: str | None
    order_id: str | None
    payment_intent: str | None
    currency: str
    ledger_amount: int | None
    stripe_amount: int | None
    ledger_status: RefundStatus | None
    stripe_status: str | None
    stripe_refund_id: str | None
    detail: str


@dataclass(frozen=True)
class ClassSummary:
    count: int = 0
    # per currency: money in different currencies is never added up
    ledger_amounts: dict[str, int] = field(default_factory=dict)
    stripe_amounts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ReconciliationReport:
    period_start: datetime
    period_end: datetime
    rows: tuple[ReconciliationRow, ...]

    @property
    def summary(self) -> dict[Match, ClassSummary]:
        counts: dict[Match, int] = dict.fromkeys(Match, 0)
        ledger: dict[Match, dict[str, int]] = {kind: {} for kind in Match}
        stripe: dict[Match, dict[str, int]] = {kind: {} for kind in Match}
        for row in self.rows:
            counts[row.kind] += 1
            if row.ledger_amount is not None:
                ledger[row.kind][row.currency] = ledger[row.kind].get(row.currency, 0) + row.ledger_amount
            if row.stripe_amount is not None:
                stripe[row.kind][row.currency] = stripe[row.kind].get(row.currency, 0) + row.stripe_amount
        return {kind: ClassSummary(counts[kind], ledger[kind], stripe[kind]) for kind in Match}

    @property
    def clean(self) -> bool:
        return all(row.kind is Match.MATCHED for row in self.rows)


def _in(at: datetime, start: datetime, end: datetime) -> bool:
    return start <= at < end


def reconcile(
    ledger: Sequence[LedgerEntry],
    stripe: Sequence[StripeRefund],
    period_start: datetime,
    period_end: datetime,
) -> ReconciliationReport:
    """The ledger against Stripe for [period_start, period_end).

    Every ledger entry created in the period gets a row; so does every Stripe refund created in the
    period that no ledger entry accounts for. A ledger entry is paired with a Stripe refund by the
    Stripe refund id it recorded, else by the refund_id Waybill put in the refund's metadata. Pass
    Stripe refunds (and ledger entries) from a little around the period too: a refund recorded at
    23:59:59 whose Stripe refund is stamped 00:00:01 then still pairs up; items outside the period
    only ever serve as partners, they get no row of their own.

    A pair is `amount_mismatch` when amount or currency differ, else `status_mismatch` when the
    ledger status differs from Stripe's (pending/requires_action = PENDING, succeeded = SUCCEEDED,
    failed/canceled = FAILED), else `matched`. An entry without a Stripe refund is `missing_in_stripe`
    unless it FAILED (Stripe refused it: no money moved, which is consistent, so `matched`).
    """
    by_id = {refund.id: refund for refund in stripe}
    by_metadata: dict[str, StripeRefund] = {}
    for refund in stripe:
        if refund.metadata_refund_id is not None:
            by_metadata.setdefault(refund.metadata_refund_id, refund)
    used: set[str] = set()

    def partner(entry: LedgerEntry) -> StripeRefund | None:
        found = by_id.get(entry.stripe_refund_id) if entry.stripe_refund_id else None
        if found is None or found.id in used:
            found = by_metadata.get(entry.refund_id)
        if found is None or found.id in used:
            return None
        used.add(found.id)
        return found

    rows: list[ReconciliationRow] = []
    # Pair every entry (in the period or not) first, so that a Stripe refund in the period that
    # belongs to an entry just outside it is not reported as missing in Waybill.
    pairs = [(entry, partner(entry)) for entry in sorted(ledger, key=lambda e: (e.created_at, e.refund_id))]
    for entry, paired in pairs:
        if _in(entry.created_at, period_start, period_end):
            rows.append(_row(entry, paired))
    for refund in sorted(stripe, key=lambda r: (r.created, r.id)):
        if refund.id not in used and _in(refund.created, period_start, period_end):
            rows.append(
                ReconciliationRow(
                    kind=Match.MISSING_IN_WAYBILL,
                    refund_id=refund.metadata_refund_id,
                    order_id=None,
                    payment_intent=refund.payment_intent,
                    currency=refund.currency,
                    ledger_amount=None,
                    stripe_amount=refund.amount,
                    ledger_status=None,
                    stripe_status=refund.status,
                    stripe_refund_id=refund.id,
                    detail="Stripe refund with no ledger entry (made outside Waybill?)",
                )
            )
    return ReconciliationReport(period_start, period_end, tuple(rows))


def _row(entry: LedgerEntry, refund: StripeRefund | None) -> ReconciliationRow:
    if refund is None:
        if entry.status is RefundStatus.FAILED:
            kind, detail = Match.MATCHED, "failed in Waybill, no refund in Stripe"
        else:
            kind, detail = Match.MISSING_IN_STRIPE, f"{entry.status} in Waybill, no refund in Stripe"
    elif (entry.amount, entry.currency) != (refund.amount, refund.currency):
        kind = Match.AMOUNT_MISMATCH
        detail = f"Waybill {entry.amount} {entry.currency}, Stripe {refund.amount} {refund.currency}"
    elif entry.status is not status_of_stripe(refund.status):
        kind, detail = Match.STATUS_MISMATCH, f"Waybill {entry.status}, Stripe {refund.status}"
    else:
        kind, detail = Match.MATCHED, ""
    return ReconciliationRow(
        kind=kind,
        refund_id=entry.refund_id,
        order_id=entry.order_id,
        payment_intent=entry.payment_intent,
        currency=entry.currency,
        ledger_amount=entry.amount,
        stripe_amount=refund.amount if refund else None,
        ledger_status=entry.status,
        stripe_status=refund.status if refund else None,
        stripe_refund_id=refund.id if refund else entry.stripe_refund_id,
        detail=detail,
    )


CSV_COLUMNS = (
    "kind",
    "refund_id",
    "order_id",
    "payment_intent",
    "currency",
    "ledger_amount",
    "stripe_amount",
    "ledger_status",
    "stripe_status",
    "stripe_refund_id",
    "detail",
)


def _row_dict(row: ReconciliationRow) -> dict[str, Any]:
    return {
        "kind": str(row.kind),
        "refund_id": row.refund_id,
        "order_id": row.order_id,
        "payment_intent": row.payment_intent,
        "currency": row.currency,
        "ledger_amount": row.ledger_amount,
        "stripe_amount": row.stripe_amount,
        "ledger_status": str(row.ledger_status) if row.ledger_status else None,
        "stripe_status": row.stripe_status,
        "stripe_refund_id": row.stripe_refund_id,
        "detail": row.detail,
    }


def to_csv(report: ReconciliationReport) -> str:
    """One line per row under a fixed header; empty cells where a side is missing."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in report.rows:
        writer.writerow({k: "" if v is None else v for k, v in _row_dict(row).items()})
    return out.getvalue()


def to_json(report: ReconciliationReport) -> dict[str, Any]:
    return {
        "period_start": report.period_start.isoformat(),
        "period_end": report.period_end.isoformat(),
        "clean": report.clean,
        "summary": {
            str(kind): {"count": s.count, "ledger_amounts": s.ledger_amounts, "stripe_amounts": s.stripe_amounts}
            for kind, s in report.summary.items()
        },
        "rows": [_row_dict(row) for row in report.rows],
    }


def refund_for_units(
    order_lines: Sequence[tuple[str, int, int]],
    order_tax: int,
    order_shipping: int,
    units: Mapping[str, int],
    *,
    all_lines_now_refunded: bool,
    already: Mapping[str, int] | None = None,
) -> RefundAmount:
    """`refund_for_lines` for part of a line's units (cancellations, returns): order lines as
    (line_id, quantity, unit_amount), units as {line_id: quantity}, `already` the units of each
    line refunded before this one.

    A line's tax share is given back by cumulative rounding: after k of its n units are refunded,
    floor(share x k / n) of it has been, so a piece gives back floor(share x (before + units) / n)
    - floor(share x before / n). The pieces of a line never sum above its share, and once all its
    units are back they sum to exactly the share, however the units were split."""
    values = [LineValue(line_id, qty * unit) for line_id, qty, unit in order_lines]
    shares = tax_shares(values, order_tax)
    by_id = {line_id: (qty, unit) for line_id, qty, unit in order_lines}
    before = dict(already or {})
    unknown = sorted((set(units) | set(before)) - by_id.keys())
    if unknown:
        raise InvalidRefundRequest(f"not lines of the order: {', '.join(unknown)}")
    for line_id, qty in units.items():
        left = by_id[line_id][0] - before.get(line_id, 0)
        if not 0 < qty <= left:
            raise InvalidRefundRequest(f"line {line_id}: {qty} units is not between 1 and {left}")

    def tax_of(line_id: str, qty: int) -> int:
        total, earlier = by_id[line_id][0], before.get(line_id, 0)
        share = shares[line_id]
        return share * (earlier + qty) // total - share * earlier // total

    return RefundAmount(
        lines=sum(by_id[i][1] * q for i, q in units.items()),
        tax=sum(tax_of(i, q) for i, q in units.items()),
        shipping=order_shipping if all_lines_now_refunded else 0,
    )

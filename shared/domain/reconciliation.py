"""Reconciliation of the refund ledger against the payment provider's refunds for a period:
every refund matched or classed as missing on one side or mismatched, and the report as CSV and
JSON, both derived from the one row type. Pure: no I/O.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from shared.domain.refund_ledger import LedgerEntry, RefundStatus, StripeRefund, status_of_stripe
from shared.records import record


class Match(StrEnum):
    MATCHED = "matched"
    MISSING_IN_STRIPE = "missing_in_stripe"
    MISSING_IN_WAYBILL = "missing_in_waybill"
    AMOUNT_MISMATCH = "amount_mismatch"
    STATUS_MISMATCH = "status_mismatch"


@record
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


@record
class ClassSummary:
    count: int = 0
    # per currency: money in different currencies is never added up
    ledger_amounts: dict[str, int] = field(default_factory=dict)
    stripe_amounts: dict[str, int] = field(default_factory=dict)


@record
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


# The report's columns are the row's fields, in order: the row is declared once, above.
CSV_COLUMNS = tuple(f.name for f in fields(ReconciliationRow))


def _row_dict(row: ReconciliationRow) -> dict[str, Any]:
    return {name: str(v) if isinstance(v, StrEnum) else v for name in CSV_COLUMNS for v in (getattr(row, name),)}


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

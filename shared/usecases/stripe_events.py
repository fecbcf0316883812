"""Stripe's refund webhooks settle the ledger entries they name.

`refund.created` / `refund.updated` / `refund.failed` carry one refund, `charge.refunded` the
charge with its refunds. A refund Waybill never asked for (made in the Stripe dashboard) changes
nothing here: reconciliation reports it as missing in Waybill. Replaying an event is harmless:
an entry already settled the same way stays as it is.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from shared import metrics
from shared.adapters.stripe_refunds import to_refund
from shared.domain.refunds import RefundStatus, status_of_stripe
from shared.ports import Clock, RefundLedger

HANDLED = ("refund.created", "refund.updated", "refund.failed", "charge.refunded")


def refunds_in(event: dict[str, Any]) -> list[dict[str, Any]]:
    obj = (event.get("data") or {}).get("object") or {}
    if event.get("type") == "charge.refunded":
        return list((obj.get("refunds") or {}).get("data") or [])
    if str(event.get("type", "")).startswith("refund."):
        return [obj]
    return []


def settle_from_event(event: dict[str, Any], *, ledger: RefundLedger, clock: Clock) -> dict[str, int]:
    """Counts of what each refund in the event did: settled, unchanged, pending, unknown."""
    done: Counter[str] = Counter()
    for raw in refunds_in(event):
        refund = to_refund(raw)
        entry = ledger.by_stripe_refund(refund.id)
        if entry is None and refund.metadata_refund_id:
            entry = ledger.get(refund.metadata_refund_id)
        status = status_of_stripe(refund.status)
        if entry is None:
            done["unknown"] += 1
        elif status == RefundStatus.PENDING:
            done["pending"] += 1
        elif entry.status != RefundStatus.PENDING:
            done["unchanged"] += 1  # a replay, or settled by the refund step first
        else:
            failure = None if status == RefundStatus.SUCCEEDED else f"Stripe reported the refund {refund.status}"
            ledger.settle(entry.refund_id, status, refund.id, failure, clock.now())
            done["settled"] += 1
            if status == RefundStatus.FAILED:
                metrics.refund_failed()
    return dict(done)

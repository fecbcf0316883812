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
from shared.domain.errors import DomainError
from shared.domain.refunds import RefundStatus, StripeRefund, status_of_stripe
from shared.ports import Clock, RefundLedger

HANDLED = ("refund.created", "refund.updated", "refund.failed", "charge.refunded")


class MalformedWebhook(DomainError):
    """A signed event whose content is not what Stripe sends: answered 400, never retried into a 500."""

    code = "malformed_event"


def refunds_in(event: dict[str, Any]) -> list[StripeRefund]:
    """The refunds an event carries, all read before anything is settled; MalformedWebhook when
    the event is not shaped as Stripe's are."""
    kind = event.get("type")
    data = event.get("data")
    if not isinstance(kind, str) or not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise MalformedWebhook("an event has a string `type` and an object `data.object`")
    obj = data["object"]
    if kind == "charge.refunded":
        refunds = obj.get("refunds") or {}
        raw = refunds.get("data") if isinstance(refunds, dict) else None
        if not isinstance(raw, list):
            raise MalformedWebhook("charge.refunded carries its refunds as a list in `refunds.data`")
    elif kind.startswith("refund."):
        raw = [obj]
    else:
        return []
    return [_refund(r) for r in raw]


def _refund(raw: Any) -> StripeRefund:
    if not isinstance(raw, dict):
        raise MalformedWebhook("a refund in the event is not an object")
    try:
        return to_refund(raw)
    except (KeyError, TypeError, ValueError, OverflowError) as err:
        raise MalformedWebhook(f"a refund in the event lacks or mistypes a field: {err}") from err


def settle_from_event(event: dict[str, Any], *, ledger: RefundLedger, clock: Clock) -> dict[str, int]:
    """Counts of what each refund in the event did: settled, unchanged, pending, unknown."""
    done: Counter[str] = Counter()
    for refund in refunds_in(event):
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

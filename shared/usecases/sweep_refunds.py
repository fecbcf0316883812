"""Refunds left PENDING (the flow died between opening and paying, or Stripe's webhook never came)
are paid or settled again: each gets a new refunds execution, which finds the Stripe refund already
made for the entry before it makes one, so sweeping never pays twice."""

from __future__ import annotations

from datetime import timedelta

from shared.domain.refund_ledger import RefundStatus
from shared.ports import Clock, RefundLedger, Workflow

# younger entries are most likely still being paid by their own execution
GRACE = timedelta(minutes=15)


def sweep_pending_refunds(*, ledger: RefundLedger, refunds: Workflow, clock: Clock) -> list[str]:
    """Starts a refunds execution for every entry PENDING longer than GRACE; returns their refund ids."""
    now = clock.now()
    swept = []
    for entry in ledger.list(status=RefundStatus.PENDING):
        if now - entry.created_at < GRACE:
            continue
        # one sweep execution per entry per hour: sweeping twice within the hour starts nothing new
        name = f"{entry.order_id}-sweep-{entry.refund_id}-{now:%Y%m%d%H}"
        refunds.start(name[:80], {"order_id": entry.order_id, "refund_id": entry.refund_id})
        swept.append(entry.refund_id)
    return swept

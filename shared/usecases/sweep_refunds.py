"""Refunds left PENDING (the flow died between opening and paying, or Stripe's webhook never came)
are paid or settled again: each gets a new refunds execution, which finds the Stripe refund already
made for the entry before it makes one, so sweeping never pays twice. Refunds owed but never opened
(Stripe was down when the flow asked what was captured) get a new execution that opens them."""

from __future__ import annotations

from datetime import timedelta

from shared.domain.refund_ledger import RefundStatus, refund_key
from shared.ports import Clock, LedgerQuery, RefundLedger, Workflow

# younger entries are most likely still being paid by their own execution
GRACE = timedelta(minutes=15)
SWEEP_PAGE = 100


def sweep_pending_refunds(*, ledger: RefundLedger, refunds: Workflow, clock: Clock) -> list[str]:
    """Starts a refunds execution for every entry PENDING longer than GRACE; returns their refund ids.

    The PENDING partition is read a page at a time and only up to GRACE ago (it sorts by creation
    time): the younger entries are not read at all, and the sweep's memory does not grow with the
    backlog."""
    now = clock.now()
    stuck = LedgerQuery(status=RefundStatus.PENDING, until=now - GRACE)
    swept: list[str] = []
    after = None
    while True:
        page = ledger.page(stuck, SWEEP_PAGE, after)
        for entry in page.items:
            # one sweep execution per entry per hour: sweeping twice within the hour starts nothing new
            name = f"{entry.order_id}-sweep-{entry.refund_id}-{now:%Y%m%d%H}"
            refunds.start(name[:80], {"order_id": entry.order_id, "refund_id": entry.refund_id})
            swept.append(entry.refund_id)
        if page.after is None:
            return swept
        after = page.after


def sweep_owed_refunds(*, ledger: RefundLedger, refunds: Workflow, clock: Clock) -> list[str]:
    """Starts a refunds execution that opens and pays each refund owed longer than GRACE and not
    opened yet; returns their order ids. A record whose entry exists is only discharged."""
    now = clock.now()
    swept = []
    for owed in ledger.owed():
        if now - owed.since < GRACE:
            continue
        if ledger.find(refund_key(owed.order_id, owed.cause_id)) is not None:
            ledger.discharge(owed.order_id, owed.cause_id)  # opened meanwhile
            continue
        name = f"{owed.order_id}-owed-{owed.cause_id}-{now:%Y%m%d%H}"
        refunds.start(name[:80], {"order_id": owed.order_id, "cause": owed.cause_id, "refund_id": None})
        swept.append(owed.order_id)
    return swept

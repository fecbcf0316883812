"""Refunds the payment provider reports (Stripe's refund webhooks) settle the ledger entries they name.

The adapter reads the provider's event (shared.adapters.stripe_refunds.refunds_in_event); this
sees only the refunds in it. A refund Waybill never asked for (made in the Stripe dashboard)
changes nothing here: reconciliation reports it as missing in Waybill. Replaying an event is
harmless: an entry already settled the same way stays as it is. A refund Stripe reports failed puts
a refund_failed exception on its order, as a refund the flow could not pay does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from shared import metrics
from shared.domain.refund_ledger import RefundStatus, StripeRefund, status_of_stripe
from shared.ports import Clock, OrderRepository, RefundLedger
from shared.usecases.ops_retries import refund_failed_on_order


def settle_reported_refunds(
    refunds: Iterable[StripeRefund], *, ledger: RefundLedger, orders: OrderRepository, clock: Clock
) -> dict[str, int]:
    """Counts of what each reported refund did: settled, unchanged, pending, unknown."""
    done: Counter[str] = Counter()
    for refund in refunds:
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
            if failure is not None:
                # on the order before the entry settles: a redelivery after a failed settle records it
                # again (harmless), never an entry FAILED with nothing on the order for a person
                refund_failed_on_order(entry.order_id, entry.refund_id, failure, orders=orders, clock=clock)
            ledger.settle(entry.refund_id, status, refund.id, failure, clock.now())
            done["settled"] += 1
            if status == RefundStatus.FAILED:
                metrics.refund_failed()
    return dict(done)

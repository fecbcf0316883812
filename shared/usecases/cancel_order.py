"""Cancel what has not shipped: the order's running flow is stopped (or the cancelled shipments'
waits ended), their stock goes back on the shelf, and what was paid for them is refunded.

Every step can run again: the order keeps its first cancellation, only the first cancellation
tells the nodes and ends the waits, releasing twice changes nothing, and the ledger entry is keyed
on (order, "cancel"), so a double submit makes one refund. The refund is on record (PENDING, or
owed until Stripe says what was captured) before any provider is called.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

from shared.domain.audit import Actor
from shared.domain.inventory import StockChange
from shared.domain.order import Cancellation, Order
from shared.domain.refund_ledger import LedgerEntry, RefundExceedsCaptured, RefundStatus
from shared.ports import (
    AdjustmentReplay,
    Clock,
    FulfilmentRequests,
    Inventory,
    OrderRepository,
    RefundLedger,
    TaskSignals,
    Workflow,
)
from shared.records import record
from shared.usecases._update import update_order
from shared.usecases.refunds import CANCEL_CAUSE, owed_refund_failed, record_cancellation_refund
from shared.usecases.reserve_order import release_reservations

# The error a cancelled shipment's wait ends with; the state machine ends that shipment quietly.
CANCELLED_ERROR = "ShipmentCancelled"
CAUSE = CANCEL_CAUSE
# a repeated cancel restarts the refund only after this: by then the first request has long ended
# (API Gateway gives a request 29 s), so its flow is running or has ended, not still being started
RESTART_AFTER = timedelta(minutes=1)


@record
class CancelOutcome:
    order: Order
    cancellation: Cancellation


def cancel_order(
    order_id: str,
    reason: str,
    by: str,
    *,
    orders: OrderRepository,
    inventory: Inventory,
    workflow: Workflow,
    refunds_workflow: Workflow,
    signals: TaskSignals,
    requests: FulfilmentRequests,
    ledger: RefundLedger,
    clock: Clock,
    actor: Actor | None = None,
) -> CancelOutcome:
    def change(o: Order) -> tuple[bool, Cancellation]:
        first = o.cancellation is None
        return first, o.cancel(reason, by, clock.now(), actor)

    first, cancellation = update_order(orders, order_id, change)
    order = orders.get(order_id)
    assert order is not None
    # Money owed is on record before any provider is called: whatever fails next, a retry, the
    # sweep or ops can finish the refund.
    try:
        entry = record_cancellation_refund(order, ledger=ledger, clock=clock)
    except RefundExceedsCaptured as err:
        # nothing more can be refunded on the PaymentIntent: a person decides, no flow retries for ever
        ledger.discharge(order_id, CAUSE)
        owed_refund_failed(order_id, err, orders=orders, clock=clock)
        entry, refundable = None, False
    else:
        refundable = True
    stopped_nodes = {s.node_id for s in order.shipments if s.shipment_id in cancellation.shipments}
    # releasing twice changes nothing, and it finishes a release a crashed first attempt began
    release_reservations(order_id, inventory=inventory, at=None if cancellation.whole else stopped_nodes)
    restock_uncollected(order, cancellation, inventory=inventory, clock=clock)
    if first:
        # Only the cancellation that changed the order tells the nodes, ends the waits and the flow:
        # a repeated cancel sends no second fulfilment_cancelled and fails no token again.
        for s in order.shipments:
            if s.shipment_id in cancellation.shipments:
                requests.send(s.node_id, cancel_request(order, s.shipment_id, s.node_id, reason, clock))
                if s.request_token:
                    signals.fail(s.request_token, CANCELLED_ERROR, f"order cancelled by {by}")
                if s.delivery_token:  # a pickup order waiting at the store
                    signals.fail(s.delivery_token, CANCELLED_ERROR, f"order cancelled by {by}")
        if cancellation.whole:
            for execution in order.executions:
                workflow.stop(execution.arn, f"order cancelled by {by}: {reason}")
    if refundable:
        _refund(order_id, entry, cancellation, first, refunds=refunds_workflow, clock=clock)
    return CancelOutcome(order, cancellation)


def _refund(
    order_id: str,
    entry: LedgerEntry | None,
    cancellation: Cancellation,
    first: bool,
    *,
    refunds: Workflow,
    clock: Clock,
) -> None:
    """Starts the refunds flow: it pays the entry, or first opens it (asking Stripe what was captured
    when the payment check never ran). A repeated cancel starts it again while the refund is still
    owed or PENDING and the first flow has ended (it failed, or died): a flow that died loses nothing.
    Never while the first may still be starting (a double submit): two flows never pay side by side."""
    if entry is not None and entry.status is not RefundStatus.PENDING:
        return  # settled already
    name = f"{order_id}-{CAUSE}"
    if not first:
        if clock.now() - cancellation.at < RESTART_AFTER or refunds.running(name):
            return  # the first flow is starting or still at it
        name = f"{name}-again-{clock.now():%Y%m%d%H%M}"
    refunds.start(name, {"order_id": order_id, "cause": CAUSE, "refund_id": entry.refund_id if entry else None})


def restock_uncollected(order: Order, cancellation: Cancellation, *, inventory: Inventory, clock: Clock) -> None:
    """A pickup order waiting at the store had its stock consumed: the cancelled units go back on the shelf."""
    for s in order.shipments:
        if s.shipment_id in cancellation.restock:
            changes = [StockChange(line.sku, on_hand_delta=line.quantity) for line in s.lines]
            with contextlib.suppress(AdjustmentReplay):  # cancelling again: restocked already
                inventory.adjust(f"CANCEL-{s.shipment_id}", s.shipment_id, s.node_id, changes, clock.now())


def cancel_request(order: Order, shipment_id: str, node_id: str, reason: str, clock: Clock) -> dict[str, Any]:
    """What a node's warehouse system receives when a shipment it holds is cancelled: do not ship it."""
    return {
        "type": "fulfilment_cancelled",
        "order_id": order.order_id,
        "order_ref": order.external_id,
        "shipment_id": shipment_id,
        "node_id": node_id,
        "reason": reason,
        "cancelled_at": clock.now().isoformat(),
    }

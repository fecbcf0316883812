"""Cancel what has not shipped: the order's running flow is stopped (or the cancelled shipments'
waits ended), their stock goes back on the shelf, and what was paid for them is refunded.

Every step can run again: the order keeps its first cancellation, releasing and stopping twice
changes nothing, the ledger entry is keyed on (order, "cancel"), and the refund execution is named
after the order, so a double submit makes one refund.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain.order import Cancellation, Order, OrderStatus
from shared.domain.refunds import LedgerEntry, RefundReason, refund_for_units
from shared.ports import Clock, Inventory, OrderRepository, RefundLedger, TaskSignals, Workflow
from shared.usecases._update import update_order
from shared.usecases.refunds import open_refund

# The error a cancelled shipment's wait ends with; the state machine ends that shipment quietly.
CANCELLED_ERROR = "ShipmentCancelled"
CAUSE = "cancel"


@dataclass(frozen=True)
class CancelOutcome:
    order: Order
    cancellation: Cancellation
    refund: LedgerEntry | None


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
    ledger: RefundLedger,
    clock: Clock,
) -> CancelOutcome:
    cancellation = update_order(orders, order_id, lambda o: o.cancel(reason, by, clock.now()))
    order = orders.get(order_id)
    assert order is not None
    stopped_nodes = {s.node_id for s in order.shipments if s.shipment_id in cancellation.shipments}
    for reservation in inventory.reservations(order_id):
        if reservation.status == "reserved" and (cancellation.whole or reservation.node_id in stopped_nodes):
            inventory.release(reservation)
    # End the waits of the shipments still at their nodes; then, when nothing had left, stop the flow.
    for s in order.shipments:
        if s.shipment_id in cancellation.shipments and s.request_token:
            signals.fail(s.request_token, CANCELLED_ERROR, f"order cancelled by {by}")
    if cancellation.whole:
        for execution in order.executions:
            workflow.stop(execution.arn, f"order cancelled by {by}: {reason}")
    units = dict(cancellation.lines)
    amount = refund_for_units(
        [(line.line_id, line.quantity, line.unit_amount) for line in order.lines],
        order.tax_amount,
        order.shipping_amount,
        units,
        all_lines_now_refunded=cancellation.whole,
    )
    refund = open_refund(order, amount, RefundReason.CANCELLATION, CAUSE, ledger=ledger, clock=clock)
    if refund is not None:
        refunds_workflow.start(f"{order_id}-{CAUSE}", {"order_id": order_id, "refund_id": refund.refund_id})
    return CancelOutcome(order, cancellation, refund)


def is_cancelled(order: Order) -> bool:
    return order.status == OrderStatus.CANCELLED

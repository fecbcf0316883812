"""Cancel what has not shipped: the order's running flow is stopped (or the cancelled shipments'
waits ended), their stock goes back on the shelf, and what was paid for them is refunded.

Every step can run again: the order keeps its first cancellation, releasing and stopping twice
changes nothing, the ledger entry is keyed on (order, "cancel"), and the refund execution is named
after the order, so a double submit makes one refund.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from shared.domain.inventory import StockChange
from shared.domain.order import Cancellation, Order
from shared.ports import AdjustmentReplay, Clock, FulfilmentRequests, Inventory, OrderRepository, TaskSignals, Workflow
from shared.usecases._update import update_order
from shared.usecases.reserve_order import release_reservations

# The error a cancelled shipment's wait ends with; the state machine ends that shipment quietly.
CANCELLED_ERROR = "ShipmentCancelled"
CAUSE = "cancel"


@dataclass(frozen=True)
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
    clock: Clock,
) -> CancelOutcome:
    cancellation = update_order(orders, order_id, lambda o: o.cancel(reason, by, clock.now()))
    order = orders.get(order_id)
    assert order is not None
    stopped_nodes = {s.node_id for s in order.shipments if s.shipment_id in cancellation.shipments}
    release_reservations(order_id, inventory=inventory, at=None if cancellation.whole else stopped_nodes)
    restock_uncollected(order, cancellation, inventory=inventory, clock=clock)
    # Tell the nodes to stop, end the waits of their shipments, and, when nothing had left, the flow.
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
    # The refund is opened and paid by the refunds state machine: it can ask Stripe what was captured
    # when the payment check never ran, and an outage there never undoes the cancellation.
    refunds_workflow.start(f"{order_id}-{CAUSE}", {"order_id": order_id, "cause": CAUSE, "refund_id": None})
    return CancelOutcome(order, cancellation)


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

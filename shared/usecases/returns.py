"""Returns: an RMA for delivered lines, a return label, the warehouse's receipt, restock and refund.

The return state machine runs label -> wait for the receipt -> restock and refund. Each step can
run again: the label is bought once per RMA, the restock is an adjustment keyed on the RMA, and
the refund's ledger entry is keyed on (order, RMA).

Refund policy for returns: every returned unit is refunded (resellable or damaged: the customer
sent it back) with its line's tax share pro rata; shipping only when, with this return, nothing
of the order is kept. Only resellable units go back into available stock.
"""

from __future__ import annotations

import contextlib

from shared.domain.errors import OrderNotFound
from shared.domain.inventory import StockChange
from shared.domain.order import Order, Return, ReturnRefused
from shared.domain.refunds import RefundReason, refund_for_units
from shared.domain.shipping import Label, LabelRequest, Parcel, choose_rate
from shared.ports import (
    AdjustmentReplay,
    Carrier,
    Clock,
    Inventory,
    Nodes,
    OrderRepository,
    RefundLedger,
    TaskSignals,
    Workflow,
)
from shared.usecases._update import update_order
from shared.usecases.refunds import open_refund, units_refunded_before

# a returned parcel's size, before anyone has weighed it: 600 g per unit in a mid-size box
UNIT_GRAMS = 600


def order_id_of_rma(rma_id: str) -> str:
    order_id, sep, number = rma_id.rpartition("-R")
    if not sep or not number.isdigit():
        raise ReturnRefused(f"no return {rma_id}", "not_found")
    return order_id


def _order(orders: OrderRepository, order_id: str) -> Order:
    order = orders.get(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    return order


def open_return(
    order_id: str, units: dict[str, int], reason: str, *, orders: OrderRepository, returns: Workflow, clock: Clock
) -> Return:
    rma = update_order(orders, order_id, lambda o: o.open_return(units, reason, clock.now()))
    returns.start(rma.rma_id, {"order_id": order_id, "rma_id": rma.rma_id})
    return rma


def buy_return_label(rma_id: str, *, orders: OrderRepository, nodes: Nodes, carrier: Carrier, clock: Clock) -> Label:
    order_id = order_id_of_rma(rma_id)
    order = _order(orders, order_id)
    rma = order.return_of(rma_id)
    if rma.label is not None:
        return rma.label
    node = nodes.get(rma.node_id)
    units = sum(line.quantity for line in rma.lines)
    request = LabelRequest(
        shipment_id=rma_id,
        order_id=order_id,
        order_ref=f"RETURN {order.external_id}",
        ship_from_node=rma.node_id,
        ship_from=node.location if node else None,
        ship_to=order.ship_to,
        parcel=Parcel(UNIT_GRAMS * units, 30, 22, min(60, 4 + 4 * units)),
        service_level="standard",
    )
    label = carrier.buy(request, choose_rate(carrier.quote(request), "standard"))
    update_order(orders, order_id, lambda o: o.return_labelled(rma_id, label, clock.now()))
    return label


def await_return(rma_id: str, token: str, *, orders: OrderRepository, signals: TaskSignals) -> bool:
    """Keeps the token the receipt answers; answers now when the receipt came first."""
    order_id = order_id_of_rma(rma_id)

    def remember(o: Order) -> None:
        o.return_of(rma_id).token = token

    update_order(orders, order_id, remember)
    rma = _order(orders, order_id).return_of(rma_id)
    if rma.status in ("RECEIVED", "REFUNDED"):
        return signals.succeed(token, {"rma_id": rma_id})
    return False


def receive_return(
    rma_id: str,
    event_id: str,
    node_id: str,
    found: dict[str, tuple[int, int]],
    *,
    orders: OrderRepository,
    signals: TaskSignals,
    clock: Clock,
) -> bool:
    """The warehouse's return_received event; answers the waiting state machine (again on a redelivery)."""
    order_id = order_id_of_rma(rma_id)
    applied = update_order(orders, order_id, lambda o: o.receive_return(rma_id, event_id, found, node_id, clock.now()))
    rma = _order(orders, order_id).return_of(rma_id)
    if rma.token:
        signals.succeed(rma.token, {"rma_id": rma_id})
    return applied


def restock_and_refund(
    rma_id: str,
    *,
    orders: OrderRepository,
    inventory: Inventory,
    ledger: RefundLedger,
    refunds: Workflow,
    clock: Clock,
) -> str | None:
    """Puts resellable units back into stock and opens the refund; returns its refund id (None: nothing owed)."""
    order_id = order_id_of_rma(rma_id)
    order = _order(orders, order_id)
    rma = order.return_of(rma_id)
    changes = [StockChange(line.sku, on_hand_delta=line.resellable) for line in rma.lines if line.resellable > 0]
    if changes:
        with contextlib.suppress(AdjustmentReplay):  # a retried step: restocked already
            inventory.adjust(f"RMA-{rma_id}", rma_id, rma.node_id, changes, clock.now())
    # what arrived is refunded, not what was asked back
    returned = {line.line_id: line.resellable + line.damaged for line in rma.lines if line.resellable + line.damaged}
    # shipping goes back once, with the receipt after which nothing of the order is kept: only
    # returns already refunded count, and this one
    before = units_refunded_before(order, rma_id)
    nothing_kept = all(
        before.get(line.line_id, 0) + returned.get(line.line_id, 0) >= line.quantity for line in order.lines
    )
    amount = refund_for_units(
        [(line.line_id, line.quantity, line.unit_amount) for line in order.lines],
        order.tax_amount,
        order.shipping_amount,
        returned,
        all_lines_now_refunded=nothing_kept,
        already=before,
    )
    refund = open_refund(order, amount, RefundReason.RETURN, rma_id, ledger=ledger, clock=clock) if returned else None
    if refund is not None:
        refunds.start(f"{order_id}-{rma_id.rpartition('-')[2]}", {"order_id": order_id, "refund_id": refund.refund_id})
    refund_id = refund.refund_id if refund else None
    update_order(orders, order_id, lambda o: o.return_refunded(rma_id, refund_id, clock.now()))
    return refund_id

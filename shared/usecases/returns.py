"""Returns: an RMA for delivered lines, a return label, the warehouse's receipt, restock and refund.

The return state machine runs label -> wait for a receipt -> restock and refund. Each step can
run again: the label is bought once per RMA, the restock is an adjustment keyed on the receipt,
and the refund's ledger entry is keyed on (order, RMA, receipt).

A return may come back in several parcels: each receipt is restocked and refunded on its own and
the state machine waits again while units are still out; when the return window ends, the RMA is
CLOSED and what never arrived stays with the customer (returnable again). A step that fails for
good leaves a return_failed exception on the order.

Refund policy for returns: every returned unit is refunded (resellable or damaged: the customer
sent it back) with its line's tax share pro rata; shipping only when, with this return, nothing
of the order is kept. Only resellable units go back into available stock.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace

from shared import metrics
from shared.domain.audit import Actor
from shared.domain.errors import OrderNotFound
from shared.domain.inventory import StockChange
from shared.domain.order import Order, Return, ReturnRefused
from shared.domain.refund_ledger import RefundReason
from shared.domain.refund_policy import refund_for_units
from shared.domain.routing import node_address
from shared.domain.shipping import Label, LabelRequest, Parcel, choose_rate
from shared.domain.values import Address
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
from shared.records import record
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
    order_id: str,
    units: dict[str, int],
    reason: str,
    *,
    orders: OrderRepository,
    returns: Workflow,
    clock: Clock,
    actor: Actor | None = None,
) -> Return:
    rma = update_order(orders, order_id, lambda o: o.open_return(units, reason, clock.now(), actor))
    returns.start(rma.rma_id, {"order_id": order_id, "rma_id": rma.rma_id})
    return rma


def _dropped_at_store(order: Order, nodes: Nodes) -> Address:
    """A pickup order has no address of the customer's: its return leaves from the store it was collected at."""
    store_id = order.delivery.pickup_node or ""
    store = node_address(nodes.get(store_id), store_id)
    # the customer sends it; the store's name stands in for a street address it lacks
    return replace(store, name=order.customer.name, line1=store.line1 or store.name)


def buy_return_label(rma_id: str, *, orders: OrderRepository, nodes: Nodes, carrier: Carrier, clock: Clock) -> Label:
    order_id = order_id_of_rma(rma_id)
    order = _order(orders, order_id)
    rma = order.return_of(rma_id)
    if rma.label is not None:
        return rma.label
    units = sum(line.quantity for line in rma.lines)
    # the parcel goes back: from the customer (or the store they drop it at) to the node receiving it
    request = LabelRequest(
        shipment_id=rma_id,
        order_id=order_id,
        order_ref=f"RETURN {order.external_id}",
        node_id=rma.node_id,
        ship_from=order.ship_to or _dropped_at_store(order, nodes),
        ship_to=node_address(nodes.get(rma.node_id), rma.node_id),
        parcel=Parcel(UNIT_GRAMS * units, 30, 22, min(60, 4 + 4 * units)),
        service_level="standard",
    )
    label = carrier.buy(request, choose_rate(carrier.quote(request), "standard"))
    update_order(orders, order_id, lambda o: o.return_labelled(rma_id, label, clock.now()))
    return label


def await_return(rma_id: str, token: str, *, orders: OrderRepository, signals: TaskSignals) -> bool:
    """Keeps the token the receipt answers; answers now when a parcel came first."""
    order_id = order_id_of_rma(rma_id)

    def remember(o: Order) -> None:
        o.return_of(rma_id).token = token

    update_order(orders, order_id, remember)
    rma = _order(orders, order_id).return_of(rma_id)
    if any(not r.settled for r in rma.receipts) or not rma.open:
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


@record
class ReceiptOutcome:
    refund_ids: tuple[str, ...]  # the refunds opened for the receipts settled now
    outstanding: int  # units still expected or receipts not yet settled: the state machine waits again
    status: str  # the RMA's


def restock_and_refund(
    rma_id: str,
    *,
    orders: OrderRepository,
    inventory: Inventory,
    ledger: RefundLedger,
    refunds: Workflow,
    clock: Clock,
    close: bool = False,
) -> ReceiptOutcome:
    """Settles every receipt not yet settled: resellable units back into stock, the refund opened.

    `close` (the return window ended) then closes the RMA: what never arrived stays with the customer.
    """
    order_id = order_id_of_rma(rma_id)
    order = _order(orders, order_id)
    refund_ids = []
    for number, receipt in enumerate(order.return_of(rma_id).receipts):
        if receipt.settled:
            continue
        refund_id = _settle_receipt(
            order, rma_id, number, inventory=inventory, ledger=ledger, refunds=refunds, clock=clock
        )

        def settled(o: Order, n: int = number, r: str | None = refund_id) -> None:
            o.return_refunded(rma_id, n, r, clock.now())

        update_order(orders, order_id, settled)
        order = _order(orders, order_id)
        if refund_id:
            refund_ids.append(refund_id)
    if close:
        update_order(orders, order_id, lambda o: o.close_return(rma_id, clock.now()))
        order = _order(orders, order_id)
    rma = order.return_of(rma_id)
    # a parcel that came in while this ran is settled on the next pass: the machine waits again
    # and the wait answers at once
    waiting = rma.outstanding + sum(not r.settled for r in rma.receipts) if rma.open else 0
    return ReceiptOutcome(tuple(refund_ids), waiting, rma.status)


def _settle_receipt(
    order: Order,
    rma_id: str,
    number: int,
    *,
    inventory: Inventory,
    ledger: RefundLedger,
    refunds: Workflow,
    clock: Clock,
) -> str | None:
    """Restock and refund one receipt; each is keyed on (RMA, receipt number), so a retry does it once."""
    rma = order.return_of(rma_id)
    receipt = rma.receipts[number]
    # the first receipt keeps the keys an RMA had before receipts could come in parts
    suffix = "" if number == 0 else f"-{number + 1}"
    skus = {line.line_id: line.sku for line in rma.lines}
    changes = [StockChange(skus[line_id], on_hand_delta=good) for line_id, good, _ in receipt.lines if good > 0]
    if changes:
        with contextlib.suppress(AdjustmentReplay):  # a retried step: restocked already
            inventory.adjust(f"RMA-{rma_id}{suffix}", f"{rma_id}{suffix}", rma.node_id, changes, clock.now())
    # what arrived is refunded, not what was asked back
    returned = receipt.units
    # shipping goes back once, with the receipt after which nothing of the order is kept: only
    # receipts already settled count, and this one
    before = units_refunded_before(order, rma_id, number)
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
    cause = f"{rma_id}{suffix}"
    refund = open_refund(order, amount, RefundReason.RETURN, cause, ledger=ledger, clock=clock) if returned else None
    if refund is None:
        return None
    name = f"{order.order_id}-{rma_id.rpartition('-')[2]}{suffix}"
    refunds.start(name, {"order_id": order.order_id, "refund_id": refund.refund_id})
    return refund.refund_id


def record_return_failure(rma_id: str, cause: str, *, orders: OrderRepository, clock: Clock) -> None:
    """A return step failed for good: a return_failed exception on the order says which and why."""
    update_order(orders, order_id_of_rma(rma_id), lambda o: o.return_failed(rma_id, cause, clock.now()))
    metrics.exception_recorded("return_failed")

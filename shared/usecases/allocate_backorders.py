"""Stock arrived: offer it to backordered orders in allocation order (channel priority, then oldest),
so scarce stock goes by policy, not to whoever called last. An order that still cannot be filled
keeps its place; smaller orders behind it may still be filled.

An order leaves the backorder queue only once its fulfilment has been resumed, so a redelivered
restock message finishes what a failed one started instead of stranding the order."""

from __future__ import annotations

from collections.abc import Callable

from shared.domain.order import Execution, Order, OrderStatus
from shared.ports import Allocation, Clock, Nodes, OrderRepository, Policies, Workflow
from shared.usecases._update import update_order
from shared.usecases.reserve_order import OrderBusy, ReserveOutcome, reserve_order


def allocate_backorders(
    sku: str,
    *,
    orders: OrderRepository,
    inventory: Allocation,
    nodes: Nodes,
    policies: Policies,
    clock: Clock,
    resume: Callable[[str], None],
) -> list[tuple[str, ReserveOutcome]]:
    results = []
    routing: list[str] = []  # orders whose first routing is still deciding
    for order_id in inventory.backorders(sku):
        order = orders.get(order_id)
        if order is None:
            continue
        if order.status == OrderStatus.RECEIVED:
            # its first routing queued it and has not yet said BACKORDERED: it keeps its place (taking
            # it out here stranded the order), and this arrival is offered again once it has said so
            routing.append(order_id)
            continue
        if order.status == OrderStatus.BACKORDERED:
            if not any(level.available > 0 for level in inventory.stock_of(sku)):
                break  # nothing left to offer
            try:
                outcome = reserve_order(
                    order_id, orders=orders, inventory=inventory, nodes=nodes, policies=policies, clock=clock
                )
            except OrderBusy:
                continue  # being routed right now by another attempt
            results.append((order_id, outcome))
            order = orders.get(order_id) or order
        if order.status != OrderStatus.BACKORDERED:
            if order.status == OrderStatus.RESERVED:
                resume(order_id)
            inventory.remove_backorder(order_id, {line.sku for line in order.lines}, order.priority, order.created_at)
    if routing:
        # the restock message is delivered again (its queue's visibility timeout), by then BACKORDERED
        raise StillRouting(f"{sku}: {', '.join(routing)} still being routed for the first time")
    return results


class StillRouting(Exception):
    """Queued orders whose first routing read the stock before this arrival: offer it again later."""


def resume_fulfilment(
    order_id: str, *, orders: OrderRepository, workflow: Workflow, clock: Clock, state_machine: str
) -> None:
    """The order's first execution ended at BACKORDERED; a second one carries it on from RESERVED
    (the steps before reservation answer from what they recorded, so nothing is done twice).
    Its name is fixed, so resuming again after a failure starts nothing new."""
    name = f"{order_id}-restocked"
    arn = workflow.execution_arn(name)

    def record(order: Order) -> None:
        if all(e.arn != arn for e in order.executions):
            order.start_execution(Execution(arn, state_machine, clock.now()))

    update_order(orders, order_id, record)
    workflow.start(name, {"order_id": order_id})

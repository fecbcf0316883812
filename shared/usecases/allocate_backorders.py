"""Stock arrived: offer it to backordered orders in allocation order (channel priority, then oldest),
so scarce stock goes by policy, not to whoever called last. An order that still cannot be filled
keeps its place; smaller orders behind it may still be filled."""

from __future__ import annotations

from collections.abc import Callable

from shared.ports import Clock, Inventory, Nodes, OrderRepository, Policies
from shared.usecases.reserve_order import ReserveOutcome, reserve_order


def allocate_backorders(
    sku: str,
    *,
    orders: OrderRepository,
    inventory: Inventory,
    nodes: Nodes,
    policies: Policies,
    clock: Clock,
    on_reserved: Callable[[str], None],
) -> list[tuple[str, ReserveOutcome]]:
    results = []
    for order_id in inventory.backorders(sku):
        if not any(level.available > 0 for level in inventory.stock_of(sku)):
            break  # nothing left to offer
        outcome = reserve_order(
            order_id, orders=orders, inventory=inventory, nodes=nodes, policies=policies, clock=clock
        )
        results.append((order_id, outcome))
        if outcome.outcome in ("allocated", "partial"):
            on_reserved(order_id)
    return results

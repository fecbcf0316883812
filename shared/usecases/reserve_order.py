"""Preparation step: route the order and reserve its stock, all or nothing.

The routing engine decides from a fresh read of stock and capacity; each chosen node is then
reserved in one conditional transaction. If a concurrent order took the stock in between, what was
reserved is released and the order is routed again; after a few lost races it is backordered.
One attempt at a time routes a given order (a lease), so a retried step and a restock allocator
never release each other's reservations.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping
from dataclasses import replace

from shared.domain.errors import IllegalTransition
from shared.domain.inventory import StockLevel, reorder_suggestion
from shared.domain.order import Order, OrderStatus
from shared.domain.routing import Node, Policy, RoutingDecision
from shared.ports import Allocation, Clock, Nodes, OrderRepository, Policies, Reservations, Routing
from shared.records import record
from shared.usecases._update import update_order
from shared.usecases.capacity_routing import route_within_capacity

ATTEMPTS = 3
# longer than the reserve function's timeout, so a lease only outlives an attempt that died
LEASE_S = 60
# An attempt that has run this long extends its lease before it reserves or records, and stops if
# another attempt took the order over (a stalled attempt must not act on an order it lost).
RENEW_AFTER_S = LEASE_S / 2


class OrderBusy(Exception):
    """Another attempt is routing this order right now; the state machine retries later."""


@record
class ReserveOutcome:
    outcome: str  # allocated | partial | backorder | hold | skipped
    nodes: tuple[str, ...]
    reason: str


def reserve_order(
    order_id: str,
    *,
    orders: OrderRepository,
    inventory: Allocation,
    nodes: Nodes,
    policies: Policies,
    clock: Clock,
) -> ReserveOutcome:
    order = orders.get(order_id)
    if order is None:
        return ReserveOutcome("skipped", (), "order not found")
    if order.status not in (OrderStatus.RECEIVED, OrderStatus.BACKORDERED):
        return _decided(order)  # a retried step, or an order cancelled or held meanwhile
    owner = uuid.uuid4().hex
    claimed_at = clock.now().timestamp()
    if not inventory.claim(order_id, owner, claimed_at, LEASE_S):
        raise OrderBusy(f"order {order_id} is being routed by another attempt")

    def keep_lease() -> None:
        nonlocal claimed_at
        now = clock.now().timestamp()
        if now - claimed_at < RENEW_AFTER_S:
            return
        if not inventory.claim(order_id, owner, now, LEASE_S):
            raise OrderBusy(f"order {order_id} was taken over by another attempt while this one stalled")
        claimed_at = now

    try:
        order = orders.get(order_id) or order  # what the previous lease holder left
        if order.status not in (OrderStatus.RECEIVED, OrderStatus.BACKORDERED):
            return _decided(order)
        release_reservations(order_id, inventory=inventory)  # leftovers of an attempt that died midway
        policy = policies.get(order.channel)
        decision, stock = _route_and_reserve(
            order, nodes, policy, clock.now().date().isoformat(), inventory, keep_lease
        )
        if decision.outcome == "backorder":
            # in the queue before the status says so, so a receipt arriving now already finds it (and
            # is offered again once the status says so: allocate_backorders.StillRouting)
            inventory.add_backorder(order_id, {line.sku for line in order.lines}, policy.priority, order.created_at)
        keep_lease()
        try:
            update_order(orders, order_id, lambda o: o.apply_routing(decision, policy.priority, clock.now()))
        except IllegalTransition:
            release_reservations(order_id, inventory=inventory)  # cancelled while we routed it
            return ReserveOutcome("skipped", (), "order changed while it was routed")
        _suggest_reorders(decision, stock, inventory, clock)
        return ReserveOutcome(decision.outcome, decision.node_ids, decision.reason)
    finally:
        inventory.unclaim(order_id, owner)


def eligible(order: Order, all_nodes: list[Node]) -> list[Node]:
    """The nodes the routing may choose: the one a person named (a re-route), else every node but those
    that already shipped part of the order (its reservation there is used up)."""
    if order.routing_node is not None:
        return [n for n in all_nodes if n.node_id == order.routing_node]
    shipped = {s.node_id for s in order.shipments if s.handed_over}
    return [n for n in all_nodes if n.node_id not in shipped]


def _decided(order: Order) -> ReserveOutcome:
    routing = order.routing
    return ReserveOutcome(routing.outcome if routing else "skipped", _nodes_of(order), f"order is {order.status}")


def directory_missed(decision: RoutingDecision, stock: Mapping[tuple[str, str], object], known: list[Node]) -> bool:
    """Whether a kept copy of the directory may be why this decision fell short: the order was not
    fully allocated, or there is stock at a node the copy does not know (one added since)."""
    ids = {n.node_id for n in known}
    return decision.outcome != "allocated" or any(node_id not in ids for _, node_id in stock)


def _route_and_reserve(
    order: Order, nodes: Nodes, policy: Policy, day: str, inventory: Routing, keep_lease: Callable[[], None]
) -> tuple[RoutingDecision, dict[tuple[str, str], StockLevel]]:
    """The decision, and the stock it was made on."""
    request = order.routing_request()
    skus = {line.sku for line in order.lines}
    directory = nodes.all()
    known: dict[str, int] = {}  # capacity left of the nodes read so far
    decision: RoutingDecision | None = None
    refreshed = False
    for attempt in range(ATTEMPTS):
        # The reservation's condition is the guard, so the first read may be eventually consistent
        # (half the read units); after a lost race, read what the winner wrote.
        stock = inventory.stock_for(skus, consistent=attempt > 0)
        available = {key: level.available for key, level in stock.items()}
        decision = route_within_capacity(request, eligible(order, directory), available, policy, day, inventory, known)
        if not refreshed and directory_missed(decision, stock, directory):
            refreshed = True  # once per order: a backorder costs one directory read, not one per attempt
            newer = nodes.all(fresh=True)
            if newer != directory:
                directory = newer
                decision = route_within_capacity(
                    request, eligible(order, directory), available, policy, day, inventory, known
                )
        capacities = {n.node_id: n.daily_capacity for n in directory if n.daily_capacity is not None}
        if decision.outcome not in ("allocated", "partial"):
            return decision, stock
        keep_lease()
        if _reserve_all(order.order_id, decision, capacities, day, inventory):
            return decision, stock
    assert decision is not None
    lost = "stock was taken by concurrent orders while this one was routed"
    backorder = RoutingDecision(
        "backorder",
        (),
        tuple((line.line_id, line.quantity) for line in order.lines),
        decision.candidates,
        decision.considered,
        lost,
    )
    return backorder, stock


def _reserve_all(
    order_id: str, decision: RoutingDecision, capacities: dict[str, int], day: str, inventory: Routing
) -> bool:
    per_node: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for allocation in decision.allocations:
        per_node[allocation.node_id][allocation.sku] += allocation.quantity
    for node_id in decision.node_ids:
        if not inventory.reserve(order_id, node_id, dict(per_node[node_id]), day, capacities.get(node_id)):
            release_reservations(order_id, inventory=inventory)
            return False
    return True


def release_reservations(order_id: str, *, inventory: Reservations, at: Collection[str] | None = None) -> int:
    """Gives back the units the order holds (at these nodes, or everywhere); harmless to repeat."""
    held = [r for r in inventory.reservations(order_id) if r.status == "reserved" and (at is None or r.node_id in at)]
    return sum(inventory.release(r) for r in held)


def _suggest_reorders(
    decision: RoutingDecision, stock: dict[tuple[str, str], StockLevel], inventory: Routing, clock: Clock
) -> None:
    """Checks only the pairs this order reserved, on the levels its decision read plus what it took:
    no read of its own. A suggestion is advisory and kept once per pair, so a level a concurrent
    order changed meanwhile is caught by the next order at the latest."""
    taken: dict[tuple[str, str], int] = defaultdict(int)
    for a in decision.allocations:
        taken[(a.sku, a.node_id)] += a.quantity
    for key, quantity in sorted(taken.items()):
        level = stock.get(key)
        suggestion = reorder_suggestion(replace(level, reserved=level.reserved + quantity)) if level else None
        if suggestion is not None:
            inventory.suggest_reorder(suggestion, clock.now())


def _nodes_of(order: Order) -> tuple[str, ...]:
    if order.routing is None:
        return ()
    return tuple(dict.fromkeys(a.node_id for a in order.routing.allocations))

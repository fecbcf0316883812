"""Fulfilment: a node rejected its shipment, so its lines go to another node, or the order fails.

The rejecting node's units are given back first. The lines are routed again as one shipment,
avoiding every node this order already uses (rejected ones and ones shipping other lines, whose
reservation row for the order is taken).
"""

from __future__ import annotations

import dataclasses
import uuid

from shared.domain.order import Order
from shared.domain.routing import RoutingLine
from shared.domain.shipment import Shipment, ShipmentCancelled
from shared.ports import Clock, Nodes, OrderRepository, Policies, Routing
from shared.usecases._update import update_order
from shared.usecases.capacity_routing import route_within_capacity
from shared.usecases.reserve_order import LEASE_S, OrderBusy, directory_missed, eligible, release_reservations

ATTEMPTS = 3


class ShipmentUnroutable(Exception):
    """No other node can take a rejected shipment's lines: the order goes to EXCEPTION."""


def reroute_shipment(
    order_id: str,
    shipment_id: str,
    *,
    orders: OrderRepository,
    inventory: Routing,
    nodes: Nodes,
    policies: Policies,
    clock: Clock,
) -> Shipment:
    owner = uuid.uuid4().hex
    # one re-route of an order at a time: two rejected shipments must not both adopt one node's
    # reservation (a reservation is per order and node)
    if not inventory.claim(f"{order_id}#reroute", owner, clock.now().timestamp(), LEASE_S):
        raise OrderBusy(f"order {order_id} is being re-routed by another attempt")
    try:
        return _reroute(order_id, shipment_id, orders, inventory, nodes, policies, clock)
    finally:
        inventory.unclaim(f"{order_id}#reroute", owner)


def _reroute(
    order_id: str,
    shipment_id: str,
    orders: OrderRepository,
    inventory: Routing,
    nodes: Nodes,
    policies: Policies,
    clock: Clock,
) -> Shipment:
    order = orders.get(order_id)
    assert order is not None
    rejected = order.shipment(shipment_id)
    replacement = next((s for s in order.shipments if s.replaces == shipment_id), None)
    if replacement is not None:
        return replacement  # a retried step
    release_reservations(order_id, inventory=inventory, at={rejected.node_id})  # the rejecting node's units
    if order.cancellation is not None:
        raise ShipmentCancelled(shipment_id)  # nothing to send anywhere any more
    used = {s.node_id for s in order.shipments}
    reservations = inventory.reservations(order_id)
    # a reservation at a node no shipment uses: an earlier attempt reserved, then died before saving
    orphan = next((r.node_id for r in reservations if r.status == "reserved" and r.node_id not in used), None)
    node_id = orphan or _reserve_elsewhere(order, rejected, used, inventory, nodes, policies, clock)
    try:
        return update_order(orders, order_id, lambda o: o.reroute(shipment_id, node_id, clock.now()))
    except ShipmentCancelled:
        release_reservations(order_id, inventory=inventory, at={node_id})  # cancelled while we re-routed
        raise


def _reserve_elsewhere(
    order: Order,
    rejected: Shipment,
    used: set[str],
    inventory: Routing,
    nodes: Nodes,
    policies: Policies,
    clock: Clock,
) -> str:
    request = dataclasses.replace(
        order.routing_request(), lines=tuple(RoutingLine(li.line_id, li.sku, li.quantity) for li in rejected.lines)
    )
    policy = dataclasses.replace(policies.get(order.channel), allow_split=False)
    directory = nodes.all()
    candidates = [n for n in eligible(order, directory) if n.node_id not in used]
    day = clock.now().date().isoformat()
    quantities: dict[str, int] = {}
    for line in rejected.lines:
        quantities[line.sku] = quantities.get(line.sku, 0) + line.quantity
    reason = "no other node"
    known: dict[str, int] = {}  # capacity left of the nodes read so far
    for attempt in range(ATTEMPTS):
        stock = inventory.stock_for(quantities, consistent=attempt > 0)  # the reservation is the guard
        available = {k: v.available for k, v in stock.items()}
        decision = route_within_capacity(request, candidates, available, policy, day, inventory, known)
        if attempt == 0 and directory_missed(decision, stock, directory):
            directory = nodes.all(fresh=True)  # a node added since this environment's copy
            candidates = [n for n in eligible(order, directory) if n.node_id not in used]
            decision = route_within_capacity(request, candidates, available, policy, day, inventory, known)
        capacities = {n.node_id: n.daily_capacity for n in candidates if n.daily_capacity is not None}
        if decision.outcome != "allocated":
            raise ShipmentUnroutable(
                f"{rejected.shipment_id} was rejected at {rejected.node_id} "
                f"({rejected.rejected_reason}) and cannot be re-routed: {decision.reason}"
            )
        node_id = decision.node_ids[0]
        if inventory.reserve(order.order_id, node_id, quantities, day, capacities.get(node_id)):
            return node_id
        reason = "stock was taken by concurrent orders while re-routing"
    raise ShipmentUnroutable(f"{rejected.shipment_id} was rejected at {rejected.node_id}: {reason}")

"""Routing that reads the daily capacity of only the nodes it picks.

A node's capacity only matters to routing as open or full. So routing first treats every
capacity-limited node it has not read as open, reads the capacity of the nodes it chose, and routes
again without those that turned out full. When the chosen nodes are open the decision stands:
closing nodes it did not choose cannot make a better choice appear (routing picks the best of what
is open, step by step). The reservation's own condition is what enforces capacity; these reads only
keep full nodes out of the decision. After a few passes (a day when many nodes are full) it reads
the rest in one go. The decision's candidates may list a full node it never needed to read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from shared.domain.routing import Node, Policy, RoutingDecision, RoutingRequest, route
from shared.ports import Capacity

PASSES = 3


def route_within_capacity(
    request: RoutingRequest,
    nodes: list[Node],
    available: Mapping[tuple[str, str], int],
    policy: Policy,
    day: str,
    capacity: Capacity,
    known: dict[str, int],
) -> RoutingDecision:
    """`known` holds the capacity left of the nodes read so far (kept by the caller across retries)."""
    limits = {n.node_id: n.daily_capacity for n in nodes if n.daily_capacity is not None}
    for _ in range(PASSES):
        decision = route(request, nodes, available, {n: known.get(n, cap) for n, cap in limits.items()}, policy)
        unread = [n for n in decision.node_ids if n in limits and n not in known]
        if not unread:
            return decision
        _read(capacity, unread, limits, day, known)
        if all(known[n] > 0 for n in unread):
            return decision
    _read(capacity, (n for n in limits if n not in known), limits, day, known)
    return route(request, nodes, available, {n: known[n] for n in limits}, policy)


def _read(
    capacity: Capacity, node_ids: Iterable[str], limits: Mapping[str, int], day: str, known: dict[str, int]
) -> None:
    wanted = list(node_ids)
    if not wanted:
        return
    used = capacity.capacity_used(wanted, day)
    known.update({n: limits[n] - used.get(n, 0) for n in wanted})

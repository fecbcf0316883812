"""Invariants of routing over random networks, stock, orders and policies (hypothesis, derandomized)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Literal

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.routing import MAX_CANDIDATES, Node, Policy, RoutingDecision, RoutingLine, RoutingRequest, route
from shared.domain.values import GeoPoint

SKUS = ("A", "B", "C", "D")  # few, so lines share SKUs and nodes overlap
PROPERTY = settings(max_examples=300, deadline=None, derandomize=True)


@dataclass(frozen=True)
class World:
    request: RoutingRequest
    nodes: tuple[Node, ...]
    available: dict[tuple[str, str], int]
    capacity_left: dict[str, int | None]
    policy: Policy

    def decide(self) -> RoutingDecision:
        return route(self.request, self.nodes, self.available, self.capacity_left, self.policy)

    def eligible(self, node: Node) -> bool:
        left = self.capacity_left.get(node.node_id)
        has_room = left is None or left > 0
        if self.request.method == "pickup":
            return node.node_id == self.request.pickup_node and node.pickup and has_room
        return node.ships and has_room

    def max_nodes(self) -> int:
        if self.request.method == "pickup" or not self.policy.allow_split:
            return 1
        return self.policy.max_shipments


points = st.builds(GeoPoint, st.floats(-60, 70), st.floats(-180, 180))


node_specs = st.tuples(
    st.sampled_from(("warehouse", "store", "3pl", "dropship")),
    st.none() | points,
    st.booleans(),  # ships
    st.booleans(),  # pickup
    st.integers(0, 500),  # handling cost
)


@st.composite
def worlds(draw: st.DrawFn) -> World:
    specs = draw(st.lists(node_specs, min_size=1, max_size=20))
    ids = [f"N{i:02d}" for i in range(len(specs))]
    nodes = tuple(Node(node_id, *spec, None) for node_id, spec in zip(ids, specs, strict=True))
    keys = [(sku, node_id) for node_id in ids for sku in SKUS]
    richness = draw(st.integers(1, 8))  # scarce worlds split and backorder, rich ones fill from one node
    units = draw(st.lists(st.integers(0, richness), min_size=len(keys), max_size=len(keys)))
    available = {key: quantity for key, quantity in zip(keys, units, strict=True) if quantity}
    capacity = draw(st.dictionaries(st.sampled_from(ids), st.none() | st.integers(0, 3)))
    line_specs = draw(st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 4)), min_size=1, max_size=6))
    lines = tuple(RoutingLine(f"L{i + 1}", sku, quantity) for i, (sku, quantity) in enumerate(line_specs))
    method: Literal["ship", "pickup"] = draw(st.sampled_from(("ship", "ship", "ship", "pickup")))
    pickup_ids = [node.node_id for node in nodes if node.pickup] or ids
    anywhere = st.sampled_from([None, "GONE", *ids])
    pickup_node = draw(st.sampled_from(pickup_ids) | anywhere) if method == "pickup" else None
    if pickup_node is not None and draw(st.booleans()):
        # A whole order rarely sits at one random store: stock it there half the time.
        for line in lines:
            available[(line.sku, pickup_node)] = available.get((line.sku, pickup_node), 0) + line.quantity
    request = RoutingRequest(
        lines, method, pickup_node, draw(st.none() | points), draw(st.sampled_from(("standard", "express")))
    )
    policy = Policy(
        strategy=draw(st.sampled_from(("cost", "distance"))),
        allow_split=draw(st.booleans()),
        max_shipments=draw(st.integers(1, 4)),
        when_unfillable=draw(st.sampled_from(("backorder", "hold", "partial"))),
    )
    return World(request, nodes, available, capacity, policy)


@PROPERTY
@given(worlds())
def test_never_allocates_more_than_available(world):
    decision = world.decide()
    taken = Counter[tuple[str, str]]()
    for allocation in decision.allocations:
        assert allocation.quantity >= 1
        taken[(allocation.sku, allocation.node_id)] += allocation.quantity
    for key, quantity in taken.items():
        assert quantity <= world.available.get(key, 0)


@PROPERTY
@given(worlds())
def test_allocates_only_from_eligible_nodes(world):
    decision = world.decide()
    by_id = {node.node_id: node for node in world.nodes}
    assert all(world.eligible(by_id[a.node_id]) for a in decision.allocations)


@PROPERTY
@given(worlds())
def test_quantities_add_up_per_line(world):
    decision = world.decide()
    allocated = Counter[str]()
    for allocation in decision.allocations:
        allocated[allocation.line_id] += allocation.quantity
    backordered = dict(decision.backordered)
    for line in world.request.lines:
        if decision.outcome == "allocated":
            assert allocated[line.line_id] == line.quantity
            assert line.line_id not in backordered
        elif decision.outcome == "partial":
            assert allocated[line.line_id] + backordered.get(line.line_id, 0) == line.quantity
        elif decision.outcome == "backorder":
            assert backordered[line.line_id] == line.quantity
    if decision.outcome in ("backorder", "hold"):
        assert decision.allocations == ()
    if decision.outcome == "partial":
        assert decision.allocations
        assert decision.backordered


@PROPERTY
@given(worlds())
def test_stays_within_the_shipments_the_policy_allows(world):
    decision = world.decide()
    assert len(decision.node_ids) <= world.max_nodes()
    if world.request.method == "pickup":
        assert decision.outcome in ("allocated", "hold")
    assert len(decision.candidates) <= MAX_CANDIDATES
    assert 0 <= decision.considered <= len(world.nodes)
    assert decision.reason


@PROPERTY
@given(worlds())
def test_one_node_that_fills_everything_is_preferred(world):
    if world.request.method == "pickup":
        return
    wanted = Counter[str]()
    for line in world.request.lines:
        wanted[line.sku] += line.quantity
    fillers = [
        node
        for node in world.nodes
        if world.eligible(node) and all(world.available.get((s, node.node_id), 0) >= q for s, q in wanted.items())
    ]
    decision = world.decide()
    if fillers:
        assert decision.outcome == "allocated"
        assert len(decision.node_ids) == 1
        assert decision.node_ids[0] in {node.node_id for node in fillers}


@PROPERTY
@given(worlds())
def test_same_input_same_decision_whatever_the_node_order(world):
    first = world.decide()
    assert world.decide() == first
    reordered = route(world.request, world.nodes[::-1], world.available, world.capacity_left, world.policy)
    assert reordered == first

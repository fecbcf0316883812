"""Routing rules, one table row per rule or tie-break. The customer is in Dallas unless a row says not."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pytest

from shared.domain.rates import RATE_CARD, estimate_rate, haversine_km, zone_for
from shared.domain.routing import Node, Policy, RoutingLine, RoutingRequest, route
from shared.domain.values import GeoPoint

DALLAS = GeoPoint(32.7767, -96.7970)
AUSTIN = GeoPoint(30.2672, -97.7431)  # 293 km from Dallas: regional
CHICAGO = GeoPoint(41.8781, -87.6298)  # 1,295 km: national
NEW_YORK = GeoPoint(40.7128, -74.0060)  # 2,206 km: far


def node(node_id, at=DALLAS, *, ships=True, pickup=False, handling=100, kind="warehouse"):
    return Node(node_id, kind, at, ships, pickup, handling, None)


def stock(node_id, **units):
    return {(sku, node_id): quantity for sku, quantity in units.items()}


DAL, AUS, CHI, NYC = node("DAL"), node("AUS", AUSTIN), node("CHI", CHICAGO), node("NYC", NEW_YORK)
STORE = node("STORE", DALLAS, ships=False, pickup=True, kind="store")


@dataclass(frozen=True)
class Case:
    id: str
    lines: tuple[tuple[str, int], ...]  # (sku, quantity); line ids are L1, L2, ...
    nodes: tuple[Node, ...]
    available: dict[tuple[str, str], int]
    outcome: str
    allocations: tuple[tuple[str, str, int], ...] = ()  # (node_id, line_id, quantity), in order
    backordered: tuple[tuple[str, int], ...] = ()
    reason: str = ""  # a phrase the reason must contain
    policy: Policy = field(default_factory=Policy)
    capacity: dict[str, int | None] = field(default_factory=dict)
    method: Literal["ship", "pickup"] = "ship"
    pickup_node: str | None = None
    destination: GeoPoint | None = DALLAS


PICKUP = [
    Case(
        "pickup-at-chosen-store-even-if-a-warehouse-is-cheaper",
        (("A", 2), ("B", 1)),
        (DAL, STORE),
        {**stock("DAL", A=9, B=9), **stock("STORE", A=2, B=1)},
        "allocated",
        (("STORE", "L1", 2), ("STORE", "L2", 1)),
        reason="Pickup at STORE",
        method="pickup",
        pickup_node="STORE",
    ),
    Case(
        "pickup-unknown-node-holds",
        (("A", 1),),
        (DAL, STORE),
        stock("DAL", A=9),
        "hold",
        reason="pickup node GONE, which is unknown",
        method="pickup",
        pickup_node="GONE",
    ),
    Case(
        "pickup-without-a-node-holds",
        (("A", 1),),
        (STORE,),
        stock("STORE", A=9),
        "hold",
        reason="names no pickup node",
        method="pickup",
    ),
    Case(
        "pickup-at-node-without-pickup-holds",
        (("A", 1),),
        (DAL,),
        stock("DAL", A=9),
        "hold",
        reason="DAL does not offer pickup",
        method="pickup",
        pickup_node="DAL",
    ),
    Case(
        "pickup-node-that-cannot-fill-holds-never-splits",
        (("A", 1), ("B", 3)),
        (DAL, STORE),
        {**stock("DAL", B=9), **stock("STORE", A=1, B=1)},
        "hold",
        reason="cannot fill line L2 (B: 2 of 3 short)",
        method="pickup",
        pickup_node="STORE",
    ),
    Case(
        "pickup-same-sku-lines-summed-against-stock",
        (("A", 2), ("A", 2)),
        (STORE,),
        stock("STORE", A=3),
        "hold",
        reason="cannot fill line L2",
        method="pickup",
        pickup_node="STORE",
    ),
    Case(
        "pickup-node-at-full-capacity-holds",
        (("A", 1),),
        (STORE,),
        stock("STORE", A=9),
        "hold",
        reason="no capacity left today",
        capacity={"STORE": 0},
        method="pickup",
        pickup_node="STORE",
    ),
]

SINGLE_NODE = [
    Case(
        "one-node-fills-cheapest-by-cost",
        (("A", 1), ("B", 2)),
        (NYC, DAL, CHI),
        {**stock("NYC", A=5, B=5), **stock("DAL", A=5, B=5), **stock("CHI", A=5, B=5)},
        "allocated",
        (("DAL", "L1", 1), ("DAL", "L2", 2)),
        reason="DAL has the lowest estimated cost (885) of the 3 nodes",  # 695 + 2 kg x 45 + 100 handling
    ),
    Case(
        "handling-counts-in-cost-so-a-farther-node-can-win",
        (("A", 1),),
        (node("DAL", handling=900), node("AUS", AUSTIN, handling=0)),
        {**stock("DAL", A=5), **stock("AUS", A=5)},
        "allocated",
        (("AUS", "L1", 1),),
    ),
    Case(
        "distance-strategy-picks-nearest-even-if-dearer-to-handle",
        (("A", 1),),
        (node("DAL", handling=900), node("AUS", AUSTIN, handling=0)),
        {**stock("DAL", A=5), **stock("AUS", A=5)},
        "allocated",
        (("DAL", "L1", 1),),
        reason="DAL is the nearest (0 km)",
        policy=Policy(strategy="distance"),
    ),
    Case(
        "a-node-that-fills-beats-a-nearer-one-that-does-not",
        (("A", 1), ("B", 1)),
        (DAL, NYC),
        {**stock("DAL", A=5), **stock("NYC", A=5, B=5)},
        "allocated",
        (("NYC", "L1", 1), ("NYC", "L2", 1)),
        reason="NYC is the only eligible node that can fill the whole order",
    ),
    Case(
        "tie-on-score-goes-to-more-stock",
        (("A", 1), ("B", 1)),
        (node("N1"), node("N2")),
        {**stock("N1", A=5, B=5), **stock("N2", A=5, B=6)},
        "allocated",
        (("N2", "L1", 1), ("N2", "L2", 1)),
        reason="tied on score with N1, chosen by more stock on hand",
    ),
    Case(
        "tie-on-score-and-stock-goes-to-lowest-node-id",
        (("A", 1),),
        (node("N2"), node("N1")),
        {**stock("N2", A=5), **stock("N1", A=5)},
        "allocated",
        (("N1", "L1", 1),),
        reason="tied on score with N2, chosen by node id",
    ),
    Case(
        "tie-on-distance-goes-to-more-stock",
        (("A", 1),),
        (node("N1", handling=0), node("N2", handling=500)),
        {**stock("N1", A=5), **stock("N2", A=7)},
        "allocated",
        (("N2", "L1", 1),),
        policy=Policy(strategy="distance"),
    ),
    Case(
        "node-that-does-not-ship-is-skipped",
        (("A", 1),),
        (node("DAL", ships=False), AUS),
        {**stock("DAL", A=5), **stock("AUS", A=5)},
        "allocated",
        (("AUS", "L1", 1),),
    ),
    Case(
        "node-at-full-capacity-is-skipped-missing-or-none-is-unlimited",
        (("A", 1),),
        (DAL, AUS, CHI),
        {**stock("DAL", A=5), **stock("AUS", A=5), **stock("CHI", A=5)},
        "allocated",
        (("AUS", "L1", 1),),
        capacity={"DAL": 0, "AUS": None},
    ),
    Case(
        "two-lines-of-one-sku-are-summed-against-stock",
        (("A", 2), ("A", 2)),
        (DAL, NYC),
        {**stock("DAL", A=3), **stock("NYC", A=4)},
        "allocated",
        (("NYC", "L1", 2), ("NYC", "L2", 2)),
        policy=Policy(allow_split=False),
    ),
    Case(
        "unknown-destination-priced-at-far-zone-so-handling-decides",
        (("A", 1),),
        (node("DAL", handling=300), node("NYC", NEW_YORK, handling=100)),
        {**stock("DAL", A=5), **stock("NYC", A=5)},
        "allocated",
        (("NYC", "L1", 1),),
        destination=None,
    ),
    Case(
        "unknown-destination-distance-strategy-falls-back-to-handling",
        (("A", 1),),
        (node("DAL", handling=300), node("NYC", NEW_YORK, handling=100)),
        {**stock("DAL", A=5), **stock("NYC", A=5)},
        "allocated",
        (("NYC", "L1", 1),),
        reason="lowest handling cost (100; distances unknown)",
        policy=Policy(strategy="distance"),
        destination=None,
    ),
    Case(
        "node-without-location-ranks-after-known-distances",
        (("A", 1),),
        (node("NOWHERE", None, handling=0), NYC),
        {**stock("NOWHERE", A=5), **stock("NYC", A=5)},
        "allocated",
        (("NYC", "L1", 1),),
        policy=Policy(strategy="distance"),
    ),
]

SPLIT_AND_UNFILLABLE = [
    Case(
        "split-takes-fewest-nodes-greedily",
        (("A", 3), ("B", 3), ("C", 3)),
        (DAL, AUS, CHI, NYC),
        {**stock("DAL", A=3), **stock("AUS", B=3), **stock("CHI", A=3, B=3), **stock("NYC", C=3)},
        "allocated",
        (("CHI", "L1", 3), ("CHI", "L2", 3), ("NYC", "L3", 3)),
        reason="split across 2 nodes (CHI, NYC)",
    ),
    Case(
        "split-tie-on-coverage-goes-to-lower-score",
        (("A", 2), ("B", 2)),
        (NYC, AUS, DAL),
        {**stock("NYC", A=2), **stock("AUS", A=2), **stock("DAL", B=2)},
        "allocated",
        (("DAL", "L2", 2), ("AUS", "L1", 2)),
    ),
    Case(
        "split-tie-on-coverage-and-score-goes-to-node-id",
        (("A", 2), ("B", 2)),
        (node("N2"), node("N1"), NYC),
        {**stock("N2", A=2), **stock("N1", A=2), **stock("NYC", B=2)},
        "allocated",
        (("N1", "L1", 2), ("NYC", "L2", 2)),
    ),
    Case(
        "one-line-may-be-split-across-nodes",
        (("A", 5),),
        (DAL, AUS),
        {**stock("DAL", A=3), **stock("AUS", A=2)},
        "allocated",
        (("DAL", "L1", 3), ("AUS", "L1", 2)),
    ),
    Case(
        "split-needing-more-than-max-shipments-backorders",
        (("A", 1), ("B", 1), ("C", 1)),
        (DAL, AUS, CHI),
        {**stock("DAL", A=1), **stock("AUS", B=1), **stock("CHI", C=1)},
        "backorder",
        backordered=(("L1", 1), ("L2", 1), ("L3", 1)),
        reason="No plan of at most 2 shipments can fill the order; backordered",
    ),
    Case(
        "split-needing-more-than-max-shipments-partial-takes-the-best-two",
        (("A", 1), ("B", 2), ("C", 1)),
        (DAL, AUS, CHI),
        {**stock("DAL", A=1), **stock("AUS", B=2), **stock("CHI", C=1)},
        "partial",
        (("AUS", "L2", 2), ("DAL", "L1", 1)),
        (("L3", 1),),
        policy=Policy(when_unfillable="partial"),
    ),
    Case(
        "split-disallowed-backorders",
        (("A", 1), ("B", 1)),
        (DAL, AUS),
        {**stock("DAL", A=1), **stock("AUS", B=1)},
        "backorder",
        backordered=(("L1", 1), ("L2", 1)),
        reason="the policy does not allow splitting; backordered",
        policy=Policy(allow_split=False),
    ),
    Case(
        "split-disallowed-holds",
        (("A", 1), ("B", 1)),
        (DAL, AUS),
        {**stock("DAL", A=1), **stock("AUS", B=1)},
        "hold",
        reason="held, per policy",
        policy=Policy(allow_split=False, when_unfillable="hold"),
    ),
    Case(
        "max-one-shipment-is-no-split",
        (("A", 1), ("B", 1)),
        (DAL, AUS),
        {**stock("DAL", A=1), **stock("AUS", B=1)},
        "hold",
        policy=Policy(max_shipments=1, when_unfillable="hold"),
    ),
    Case(
        "split-disallowed-partial-takes-the-node-covering-most",
        (("A", 1), ("B", 2)),
        (DAL, AUS),
        {**stock("DAL", A=1), **stock("AUS", B=2)},
        "partial",
        (("AUS", "L2", 2),),
        (("L1", 1),),
        reason="allocated 2 of 3 units from AUS",
        policy=Policy(allow_split=False, when_unfillable="partial"),
    ),
    Case(
        "partial-allocates-what-stock-there-is",
        (("A", 5), ("B", 1)),
        (DAL, AUS),
        {**stock("DAL", A=2, B=1), **stock("AUS", A=1)},
        "partial",
        (("DAL", "L1", 2), ("DAL", "L2", 1), ("AUS", "L1", 1)),
        (("L1", 2),),
        reason="Eligible nodes hold 3 of the 5 A ordered",
        policy=Policy(when_unfillable="partial"),
    ),
    Case(
        "partial-with-nothing-to-allocate-backorders",
        (("A", 1),),
        (DAL,),
        {},
        "backorder",
        backordered=(("L1", 1),),
        policy=Policy(when_unfillable="partial"),
    ),
    Case(
        "no-node-can-ship-today-backorders",
        (("A", 1),),
        (DAL, node("X", ships=False)),
        stock("DAL", A=5),
        "backorder",
        backordered=(("L1", 1),),
        reason="None of the 2 nodes can ship with capacity left today",
        capacity={"DAL": 0},
    ),
    Case(
        "no-nodes-at-all-backorders",
        (("A", 1),),
        (),
        {},
        "backorder",
        backordered=(("L1", 1),),
        reason="No nodes are set up yet",
    ),
    Case(
        "the-only-node-cannot-ship-backorders",
        (("A", 1),),
        (DAL,),
        stock("DAL", A=5),
        "backorder",
        backordered=(("L1", 1),),
        reason="The only node cannot ship with capacity left today",
        capacity={"DAL": 0},
    ),
]


ALL = PICKUP + SINGLE_NODE + SPLIT_AND_UNFILLABLE


def row(case_id: str) -> Case:
    return next(case for case in ALL if case.id == case_id)


def decide(case: Case, **kwargs):
    lines = tuple(RoutingLine(f"L{i + 1}", sku, quantity) for i, (sku, quantity) in enumerate(case.lines))
    request = RoutingRequest(lines, case.method, case.pickup_node, case.destination)
    return route(request, case.nodes, case.available, case.capacity, case.policy, **kwargs)


@pytest.mark.parametrize("case", ALL, ids=lambda c: c.id)
def test_routing_rules(case):
    decision = decide(case)
    assert decision.outcome == case.outcome, decision.reason
    assert tuple((a.node_id, a.line_id, a.quantity) for a in decision.allocations) == case.allocations
    assert decision.backordered == case.backordered
    assert case.reason in decision.reason
    assert decision.reason.endswith(".")


def test_heavier_units_can_make_the_nearer_node_cheaper():
    # Light: Austin's regional rate plus no handling beats Dallas' handling. Heavy: per-kg rates win.
    case = Case(
        "weights",
        (("ANVIL", 1),),
        (node("DAL", handling=500), node("AUS", AUSTIN, handling=0)),
        {**stock("DAL", ANVIL=1), **stock("AUS", ANVIL=1)},
        "allocated",
    )
    assert decide(case).node_ids == ("AUS",)
    assert decide(case, unit_weight_kg={"ANVIL": 20.0}).node_ids == ("DAL",)


def test_express_costs_more_than_standard():
    case = row("one-node-fills-cheapest-by-cost")
    standard = decide(case).candidates[0].score
    lines = tuple(RoutingLine(f"L{i + 1}", sku, q) for i, (sku, q) in enumerate(case.lines))
    express = route(RoutingRequest(lines, "ship", None, DALLAS, "express"), case.nodes, case.available, {}, case.policy)
    assert express.candidates[0].score > standard


def test_decision_lists_candidates_best_first_and_counts_nodes_weighed():
    far = [node(f"FAR{i:02d}", NEW_YORK) for i in range(12)]
    nodes = (*far, node("NOSHIP", ships=False), node("FULL"), node("EMPTY"), CHI, DAL)
    available = {**stock("CHI", A=9), **stock("DAL", A=9), **stock("NOSHIP", A=9), **stock("FULL", A=9)}
    for n in far:
        available.update(stock(n.node_id, A=9))
    case = Case("many", (("A", 2),), nodes, available, "allocated", capacity={"FULL": 0})

    decision = decide(case)

    assert decision.node_ids == ("DAL",)
    assert decision.considered == 15  # 12 far + EMPTY + CHI + DAL; NOSHIP and FULL are not eligible
    assert len(decision.candidates) == 10
    assert [c.node_ids for c in decision.candidates[:3]] == [("DAL",), ("CHI",), ("FAR00",)]
    scores = [c.score for c in decision.candidates]
    assert scores == sorted(scores)
    assert all(c.fills for c in decision.candidates)
    assert decision.candidates[0].note == "fills the line; 0 km; est. 740 shipping + 100 handling"
    assert "2,206 km" in decision.candidates[2].note


def test_split_candidate_carries_every_node_and_the_summed_score():
    case = row("split-takes-fewest-nodes-greedily")
    decision = decide(case)
    plan, *singles = decision.candidates
    assert plan.node_ids == ("CHI", "NYC") == decision.node_ids
    assert plan.fills
    assert plan.note.startswith("fills all 3 lines from 2 nodes; 3,501 km; est. ")
    # CHI ships 3 kg national (1,195 + 3 x 140), NYC 1.5 kg far (1,695 + 2 x 210), plus 2 x 100 handling.
    assert plan.score == 1_615 + 2_115 + 200
    assert not any(c.fills for c in singles)
    assert singles[0].note.startswith("fills 2 of 3 lines (6 of 9 units)")


def test_unknown_distance_is_said_in_the_note():
    decision = decide(row("unknown-destination-priced-at-far-zone-so-handling-decides"))
    assert decision.candidates[0].note.startswith("fills the line; distance unknown, priced at far zone")


def test_pickup_decision_has_one_candidate_and_weighs_one_node():
    decision = decide(row("pickup-at-chosen-store-even-if-a-warehouse-is-cheaper"))
    assert decision.considered == 1
    assert [c.node_ids for c in decision.candidates] == [("STORE",)]
    assert decision.candidates[0].score == STORE.handling_cost
    assert decide(row("pickup-unknown-node-holds")).considered == 0


TWICE_L1 = (RoutingLine("L1", "A", 1), RoutingLine("L1", "B", 1))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: RoutingLine("L1", "A", 0), "quantity must be at least 1"),
        (lambda: Policy(max_shipments=0), "max_shipments must be at least 1"),
        (
            lambda: route(RoutingRequest((), "ship", None, DALLAS), [DAL], {}, {}, Policy()),
            "at least one line",
        ),
        (lambda: route(RoutingRequest(TWICE_L1, "ship", None, DALLAS), [DAL], {}, {}, Policy()), "unique"),
        (lambda: estimate_rate(10.0, 1.0, "overnight"), "unknown service level"),
    ],
    ids=["zero-quantity", "zero-shipments", "no-lines", "duplicate-line-ids", "unknown-service-level"],
)
def test_bad_input_is_refused(build, message):
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.parametrize(
    ("km", "zone"),
    [
        (0.0, "local"),
        (49.9, "local"),
        (50.0, "regional"),
        (1_999.9, "national"),
        (2_000.0, "far"),
        (None, "far"),
    ],
)
def test_zones_by_distance(km, zone):
    assert zone_for(km).name == zone


@pytest.mark.parametrize(
    ("km", "kg", "level", "cents"),
    [
        (10.0, 0.5, "standard", 695 + 45),  # at least one billable kg
        (10.0, 1.2, "standard", 695 + 2 * 45),  # each started kg is billed
        (300.0, 3.0, "standard", 895 + 3 * 85),
        (None, 1.0, "standard", 1_695 + 210),
        (10.0, 1.0, "express", round((695 + 45) * 1.75)),
    ],
    ids=["minimum-kg", "started-kg", "regional", "unknown-is-far", "express"],
)
def test_rate_card(km, kg, level, cents):
    assert estimate_rate(km, kg, level) == cents


def test_haversine_matches_known_distances():
    assert haversine_km(DALLAS, DALLAS) == 0.0
    assert haversine_km(DALLAS, NEW_YORK) == pytest.approx(2_206, abs=5)
    assert haversine_km(DALLAS, AUSTIN) == pytest.approx(haversine_km(AUSTIN, DALLAS))
    assert len(RATE_CARD) == 4

"""Which node(s) an order ships from, or is collected at, and why. Pure and deterministic: stock,
capacity and the channel's policy are passed in; the decision carries the candidates it weighed and
one sentence a person can read ("why did this ship from Dallas?").

Rules, in order:
1. Pickup orders go to the chosen pickup node, in full, or are held. Never split or backordered.
2. Ship orders prefer one eligible node (ships, capacity left today) that fills every line, scored by
   estimated cost (carrier rate + handling) or by distance, per policy.
3. Failing that, when the policy allows, split greedily over the fewest nodes, at most max_shipments.
4. Failing that, backorder, hold, or allocate what can be and backorder the rest, per policy.

Tie-breaks between single nodes, in order: lower score; then more units available across the order's
SKUs (keeps stock balanced, leaves more behind elsewhere); then node_id ascending. The greedy split
takes the node covering the most remaining units; ties go to the lower score, then node_id.

A single node's score prices the whole order shipped from it, so nodes compare on one basis; a plan's
score sums its shipments at their own weights. Unknown distance (no destination or node location) is
priced at the far zone; in the distance strategy such nodes rank after every node with a known
distance and, among themselves, by handling cost.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Literal, NamedTuple

from shared.domain.audit import Stamp
from shared.domain.rates import estimate_rate, haversine_km
from shared.domain.values import Address, GeoPoint, PostalAddress
from shared.records import record

DEFAULT_UNIT_WEIGHT_KG = 0.5  # no catalogue yet; per-sku weights can be passed to route()
MAX_CANDIDATES = 10


@record
class Node:
    node_id: str
    kind: str  # "warehouse" | "store" | "3pl" | "dropship"
    location: GeoPoint | None
    ships: bool  # can ship parcels
    pickup: bool  # customers can collect here
    handling_cost: int  # minor units per shipment
    daily_capacity: int | None  # shipments per day; None = unlimited
    name: str | None = None  # as customers know it ("Waybill Manhattan store"): pickup emails name it
    address: PostalAddress | None = None  # where a pickup customer goes, and what its labels print
    # who last changed it (the audit trail); not part of what the node is
    updated: Stamp | None = field(default=None, compare=False)

    @property
    def label(self) -> str:
        return self.name or self.node_id


def node_address(node: Node | None, node_id: str) -> Address:
    """A node as the sender or receiver on a label; a node nobody described still prints its id."""
    postal = (node.address if node else None) or PostalAddress()
    location = node.location if node else None
    return Address(
        name=node.label if node else node_id,
        line1=postal.line1 or "",
        line2=postal.line2,
        city=postal.city or "",
        region=postal.region or "",
        postal_code=postal.postal_code or "",
        country=postal.country or "",
        lat=location.lat if location else None,
        lon=location.lon if location else None,
    )


@record
class RoutingLine:
    line_id: str
    sku: str
    quantity: int

    def __post_init__(self) -> None:
        if self.quantity < 1:
            raise ValueError(f"line {self.line_id} quantity must be at least 1, got {self.quantity}")


@record
class Policy:
    strategy: Literal["cost", "distance"] = "cost"
    allow_split: bool = True
    max_shipments: int = 2
    when_unfillable: Literal["backorder", "hold", "partial"] = "backorder"
    priority: int = 100  # lower = served first when scarce stock is allocated (not used here)
    # who last changed it (the audit trail); not part of how orders are routed
    updated: Stamp | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.max_shipments < 1:
            raise ValueError(f"max_shipments must be at least 1, got {self.max_shipments}")


@record
class RoutingRequest:
    lines: tuple[RoutingLine, ...]
    method: Literal["ship", "pickup"]
    pickup_node: str | None
    destination: GeoPoint | None  # None when the address has no lat/lon
    service_level: Literal["standard", "express"] = "standard"


@record
class Allocation:
    node_id: str
    line_id: str
    sku: str
    quantity: int


@record
class Candidate:
    node_ids: tuple[str, ...]  # one node, or the nodes of a split plan
    score: float  # minor units (strategy cost) or km (strategy distance); lower is better
    fills: bool  # can fill every line completely
    note: str


@record
class RoutingDecision:
    outcome: Literal["allocated", "partial", "backorder", "hold"]
    allocations: tuple[Allocation, ...]
    backordered: tuple[tuple[str, int], ...]  # (line_id, quantity not allocated)
    candidates: tuple[Candidate, ...]  # best first, at most MAX_CANDIDATES
    considered: int  # nodes weighed: eligible ship nodes, or the pickup node if it exists
    reason: str

    @property
    def node_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.node_id for a in self.allocations))


class _Demand(NamedTuple):
    """The order folded by SKU: what every node is measured against."""

    lines: tuple[RoutingLine, ...]
    skus: tuple[str, ...]  # distinct, in first-seen order
    quantities: tuple[int, ...]  # per sku, summed over lines
    unit_kg: tuple[float, ...]  # per sku

    @property
    def units(self) -> int:
        return sum(self.quantities)

    def weight(self, quantities: Sequence[int]) -> float:
        return sum(q * kg for q, kg in zip(quantities, self.unit_kg, strict=True))


Plan = list[tuple["_Site", list[int]]]  # nodes in pick order, each with units taken per SKU


class _Site(NamedTuple):
    """An eligible node holding some of the order, as this order sees it; computed once per route()."""

    node: Node
    stock: tuple[int, ...]  # available per order SKU, aligned with _Demand.skus
    covers: int  # units of the order this node could send on its own

    @property
    def on_hand(self) -> int:
        """Units available across the order's SKUs: the tie-break after score."""
        return sum(self.stock)

    def alone(self, demand: _Demand) -> Plan:
        """The plan of this node sending all it can of the order by itself."""
        return [(self, [min(s, q) for s, q in zip(self.stock, demand.quantities, strict=True)])]


class _Scorer:
    """Scores nodes for one request; distances are computed once per node."""

    def __init__(self, request: RoutingRequest, policy: Policy, demand: _Demand) -> None:
        self.request, self.strategy = request, policy.strategy
        self.order_kg = demand.weight(demand.quantities)
        self._km: dict[str, float | None] = {}
        self._rank: dict[str, tuple[int, float]] = {}

    def km(self, node: Node) -> float | None:
        if node.node_id not in self._km:
            to, at = self.request.destination, node.location
            self._km[node.node_id] = haversine_km(at, to) if to is not None and at is not None else None
        return self._km[node.node_id]

    def score(self, node: Node, weight_kg: float) -> tuple[int, float]:
        """(tier, score): tier 1 sorts unknown distances last in the distance strategy."""
        km = self.km(node)
        if self.strategy == "distance":
            return (0, km) if km is not None else (1, float(node.handling_cost))
        rate = estimate_rate(km, weight_kg, self.request.service_level)
        return 0, float(rate + node.handling_cost)

    def rank(self, node: Node) -> tuple[int, float]:
        """The node's score for the whole order, the basis nodes are compared on."""
        if node.node_id not in self._rank:
            self._rank[node.node_id] = self.score(node, self.order_kg)
        return self._rank[node.node_id]

    def detail(self, shipments: Sequence[tuple[Node, float]]) -> str:
        kms = [self.km(node) for node, _ in shipments]
        level = self.request.service_level
        rate = sum(estimate_rate(km, kg, level) for km, (_, kg) in zip(kms, shipments, strict=True))
        handling = sum(node.handling_cost for node, _ in shipments)
        if any(km is None for km in kms):
            where = "ranked after known distances" if self.strategy == "distance" else "priced at far zone"
            where = f"distance unknown, {where}"
        else:
            where = f"{sum(km for km in kms if km is not None):,.0f} km"
        return f"{where}; est. {rate:,} shipping + {handling:,} handling"


def route(
    request: RoutingRequest,
    nodes: Sequence[Node],
    available: Mapping[tuple[str, str], int],
    capacity_left: Mapping[str, int | None],
    policy: Policy,
    *,
    unit_weight_kg: Mapping[str, float] | None = None,
) -> RoutingDecision:
    """Decide where the order's lines come from. See the module docstring for the rules."""
    if not request.lines:
        raise ValueError("an order needs at least one line to route")
    if len({line.line_id for line in request.lines}) != len(request.lines):
        raise ValueError("line ids must be unique within an order")
    weights = unit_weight_kg or {}
    skus = tuple(dict.fromkeys(line.sku for line in request.lines))
    demand = _Demand(
        request.lines,
        skus,
        tuple(sum(line.quantity for line in request.lines if line.sku == sku) for sku in skus),
        tuple(weights.get(sku, DEFAULT_UNIT_WEIGHT_KG) for sku in skus),
    )
    scorer = _Scorer(request, policy, demand)
    if request.method == "pickup":
        return _pickup(request, nodes, available, capacity_left, demand, scorer)
    eligible = [node for node in nodes if node.ships and _open(node, capacity_left)]
    sites = _stocked(eligible, demand, available)
    return _ship(sites, len(eligible), len(nodes), demand, scorer, policy)


def _open(node: Node, capacity_left: Mapping[str, int | None]) -> bool:
    left = capacity_left.get(node.node_id)
    return left is None or left > 0


def _site(node: Node, demand: _Demand, available: Mapping[tuple[str, str], int]) -> _Site:
    node_id = node.node_id
    stock = tuple([available.get((sku, node_id), 0) for sku in demand.skus])
    return _Site(node, stock, sum(map(min, stock, demand.quantities)))


def _stocked(eligible: list[Node], demand: _Demand, available: Mapping[tuple[str, str], int]) -> list[_Site]:
    """The eligible nodes holding any of the order, with their stock. The hot loop of routing: one
    lookup per (sku, node), done column by column because per-node comprehensions cost more here."""
    get, ids, quantities = available.get, [node.node_id for node in eligible], demand.quantities
    columns = [[get((sku, node_id), 0) for node_id in ids] for sku in demand.skus]
    sites = []
    for node, stock in zip(eligible, zip(*columns, strict=True), strict=True):
        covers = sum(map(min, stock, quantities))
        if covers:
            sites.append(_Site(node, stock, covers))
    return sites


def _pickup(
    request: RoutingRequest,
    nodes: Sequence[Node],
    available: Mapping[tuple[str, str], int],
    capacity_left: Mapping[str, int | None],
    demand: _Demand,
    scorer: _Scorer,
) -> RoutingDecision:
    node_id = request.pickup_node
    node = next((n for n in nodes if n.node_id == node_id), None)
    if node is None:
        why = "names no pickup node" if node_id is None else f"names pickup node {node_id}, which is unknown"
        return _hold(f"Held: the pickup order {why}.", (), 0)
    site = _site(node, demand, available)
    allocations, backordered = _allocate(site.alone(demand), demand)
    # Pickup is the customer's choice of place: no carrier, so the score is handling (or zero km).
    score = float(node.handling_cost) if scorer.strategy == "cost" else 0.0
    fill = _fill_text(demand, backordered)
    note = f"pickup; {fill}; {node.handling_cost:,} handling"
    candidate = Candidate((node.node_id,), score, not backordered, note)
    if not node.pickup:
        return _hold(f"Held: pickup node {node.node_id} does not offer pickup.", (candidate,), 1)
    if not _open(node, capacity_left):
        return _hold(f"Held: pickup node {node.node_id} has no capacity left today.", (candidate,), 1)
    if backordered:
        line_id, short = backordered[0]
        line = next(line for line in demand.lines if line.line_id == line_id)
        why = f"cannot fill line {line_id} ({line.sku}: {short} of {line.quantity} short)"
        return _hold(f"Held: pickup node {node.node_id} {why}.", (candidate,), 1)
    reason = f"Pickup at {node.node_id}, the node the customer chose; it has every line in stock."
    return RoutingDecision("allocated", allocations, (), (candidate,), 1, reason)


def _ship(
    sites: list[_Site], eligible: int, node_count: int, demand: _Demand, scorer: _Scorer, policy: Policy
) -> RoutingDecision:
    """Ship from the best single node, else a split, else per the unfillable policy."""
    units = demand.units
    fillers = [s for s in sites if s.covers == units]
    if fillers:
        ranked = heapq.nsmallest(2, fillers, key=lambda s: (*scorer.rank(s.node), -s.on_hand, s.node.node_id))
        plan: Plan = [(ranked[0], list(demand.quantities))]
        reason = _why_single(ranked, len(fillers), scorer)
        return _decide("allocated", plan, sites, eligible, demand, scorer, reason)
    limit = policy.max_shipments if policy.allow_split else 1
    plan = _greedy(sites, demand, limit, scorer)
    covered = sum(sum(take) for _, take in plan)
    if covered == units:
        names = ", ".join(site.node.node_id for site, _ in plan)
        reason = f"No single node can fill the order; split across {len(plan)} nodes ({names}), the fewest found."
        return _decide("allocated", plan, sites, eligible, demand, scorer, reason)
    why = _why_unfillable(sites, eligible, node_count, demand, policy)
    if policy.when_unfillable == "partial" and covered:
        names = ", ".join(site.node.node_id for site, _ in plan)
        reason = f"{why}; allocated {covered} of {units} units from {names} and backordered the rest, per policy."
        return _decide("partial", plan, sites, eligible, demand, scorer, reason)
    if policy.when_unfillable == "hold":
        return _decide("hold", plan, sites, eligible, demand, scorer, f"{why}; held, per policy.")
    return _decide("backorder", plan, sites, eligible, demand, scorer, f"{why}; backordered, per policy.")


def _greedy(sites: list[_Site], demand: _Demand, limit: int, scorer: _Scorer) -> Plan:
    """Repeatedly take the node covering the most remaining units (ties: lower score, node_id)."""
    need = list(demand.quantities)
    # A node never covers more of what remains than of the whole order, so scanning in order of
    # whole-order coverage can stop at the first node that cannot beat the best found.
    pool = sorted(sites, key=lambda s: -s.covers)
    plan: Plan = []
    while any(need) and len(plan) < limit:
        wanted = [i for i, n in enumerate(need) if n]
        most, pick = 0, None
        for site in pool:
            if site.covers < most:
                break
            stock = site.stock
            cover = sum([min(stock[i], need[i]) for i in wanted])
            if cover > most or (cover == most and pick is not None and _tie(site, scorer) < _tie(pick, scorer)):
                most, pick = cover, site
        if pick is None:
            break
        take = [min(s, n) for s, n in zip(pick.stock, need, strict=True)]
        need = [n - t for n, t in zip(need, take, strict=True)]
        plan.append((pick, take))
        pool.remove(pick)
    return plan


def _tie(site: _Site, scorer: _Scorer) -> tuple[int, float, str]:
    return (*scorer.rank(site.node), site.node.node_id)


def _allocate(plan: Plan, demand: _Demand) -> tuple[tuple[Allocation, ...], tuple[tuple[str, int], ...]]:
    """Spread each node's units per SKU over the lines in order; what is left over is backordered."""
    left = {line.line_id: line.quantity for line in demand.lines}
    allocations: list[Allocation] = []
    for site, take in plan:
        pool = dict(zip(demand.skus, take, strict=True))
        for line in demand.lines:
            quantity = min(left[line.line_id], pool[line.sku])
            if quantity:
                allocations.append(Allocation(site.node.node_id, line.line_id, line.sku, quantity))
                left[line.line_id] -= quantity
                pool[line.sku] -= quantity
    return tuple(allocations), tuple((line_id, q) for line_id, q in left.items() if q)


def _decide(
    outcome: Literal["allocated", "partial", "backorder", "hold"],
    plan: Plan,
    sites: list[_Site],
    eligible: int,
    demand: _Demand,
    scorer: _Scorer,
    reason: str,
) -> RoutingDecision:
    if outcome in ("allocated", "partial"):
        allocations, backordered = _allocate(plan, demand)
    else:
        # Nothing is taken: a backorder waits for stock on every line, a hold waits for a person.
        allocations = ()
        everything = tuple((line.line_id, line.quantity) for line in demand.lines)
        backordered = everything if outcome == "backorder" else ()
    candidates = _candidates(plan, sites, demand, scorer)
    return RoutingDecision(outcome, allocations, backordered, candidates, eligible, reason)


def _candidates(plan: Plan, sites: list[_Site], demand: _Demand, scorer: _Scorer) -> tuple[Candidate, ...]:
    """The plan weighed (if any) first, then single nodes: those that fill, then by most covered."""
    out: list[Candidate] = []
    if plan:
        shipments = [(site.node, demand.weight(take)) for site, take in plan]
        score = sum(scorer.score(node, kg)[1] for node, kg in shipments)
        _, short = _allocate(plan, demand)
        fill = _fill_text(demand, short)
        if len(plan) > 1:
            fill = f"{fill} from {len(plan)} nodes"
        out.append(
            Candidate(
                tuple(s.node.node_id for s, _ in plan),
                score,
                not short,
                f"{fill}; {scorer.detail(shipments)}",
            )
        )
    taken = {plan[0][0].node.node_id} if len(plan) == 1 else set()
    room = MAX_CANDIDATES - len(out)
    pool = [s for s in sites if s.node.node_id not in taken]
    if len(pool) > room:
        # Only nodes covering as much as the room-th best can make the list: score just those.
        floor = heapq.nlargest(room, [s.covers for s in pool])[-1]
        pool = [s for s in pool if s.covers >= floor]
    singles = heapq.nsmallest(room, pool, key=lambda s: (-s.covers, *scorer.rank(s.node), -s.on_hand, s.node.node_id))
    for site in singles:
        _, short = _allocate(site.alone(demand), demand)
        note = f"{_fill_text(demand, short)}; {scorer.detail([(site.node, scorer.order_kg)])}"
        out.append(Candidate((site.node.node_id,), scorer.rank(site.node)[1], not short, note))
    return tuple(out)


def _fill_text(demand: _Demand, short: tuple[tuple[str, int], ...]) -> str:
    lines = len(demand.lines)
    if not short:
        return f"fills all {lines} lines" if lines > 1 else "fills the line"
    missing = sum(q for _, q in short)
    return f"fills {lines - len(short)} of {lines} lines ({demand.units - missing} of {demand.units} units)"


def _why_single(ranked: list[_Site], fillers: int, scorer: _Scorer) -> str:
    best = ranked[0]
    node_id, (tier, score) = best.node.node_id, scorer.rank(best.node)
    if scorer.strategy == "distance" and tier == 0:
        measure = f"is the nearest ({score:,.0f} km)"
    elif scorer.strategy == "distance":
        measure = f"has the lowest handling cost ({score:,.0f}; distances unknown)"
    else:
        measure = f"has the lowest estimated cost ({score:,.0f})"
    if fillers == 1:
        sentence = f"{node_id} is the only eligible node that can fill the whole order"
    else:
        sentence = f"{node_id} {measure} of the {fillers} nodes that can fill the whole order"
    if len(ranked) > 1 and scorer.rank(ranked[1].node) == (tier, score):
        runner_up = ranked[1]
        why = "more stock on hand" if runner_up.on_hand != best.on_hand else "node id, stock being equal too"
        sentence += f"; tied on score with {runner_up.node.node_id}, chosen by {why}"
    return sentence + "."


def _why_unfillable(sites: list[_Site], eligible: int, node_count: int, demand: _Demand, policy: Policy) -> str:
    if not eligible:
        if node_count == 0:
            return "No nodes are set up yet (PUT /v1/nodes/{node_id}, or `waybill nodes import`)"
        if node_count == 1:
            return "The only node cannot ship with capacity left today"
        return f"None of the {node_count} nodes can ship with capacity left today"
    for i, sku in enumerate(demand.skus):
        total = sum(site.stock[i] for site in sites)
        if total < demand.quantities[i]:
            return f"Eligible nodes hold {total} of the {demand.quantities[i]} {sku} ordered"
    if not policy.allow_split or policy.max_shipments == 1:
        return "No single node can fill the order and the policy does not allow splitting"
    return f"No plan of at most {policy.max_shipments} shipments can fill the order"


def _hold(reason: str, candidates: tuple[Candidate, ...], considered: int) -> RoutingDecision:
    return RoutingDecision("hold", (), (), candidates, considered, reason)

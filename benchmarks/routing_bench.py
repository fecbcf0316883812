"""Routing throughput: 500 nodes, 10-line orders. Prints figures only; nothing here asserts timings.

Run: .venv/bin/python -m benchmarks.routing_bench [seconds per scenario]   (--quick: 0.2 s each)

Each order is routed against the stock of its own SKUs, as the caller loads it (one query per SKU);
the last scenario passes the whole catalogue's stock instead, to show what a careless caller pays.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Mapping

from shared.domain.routing import Node, Policy, RoutingLine, RoutingRequest, route
from shared.domain.values import GeoPoint

NODES = 500
SKUS = 2_000
BEST_SELLERS = 200  # orders draw from these, so some nodes hold a whole order and some need a split
LINES = 10
KINDS = ("warehouse", "store", "3pl", "dropship")
Stock = dict[tuple[str, str], int]


def _point(rng: random.Random) -> GeoPoint:
    return GeoPoint(rng.uniform(25.0, 49.0), rng.uniform(-124.0, -67.0))  # continental US


def _world(rng: random.Random) -> tuple[list[Node], Stock, dict[str, int | None]]:
    """Warehouses stock most of the catalogue, other nodes less; some nodes are full today."""
    nodes: list[Node] = []
    available: Stock = {}
    capacity: dict[str, int | None] = {}
    for i in range(NODES):
        node_id, kind = f"N{i:03d}", rng.choice(KINDS)
        nodes.append(Node(node_id, kind, _point(rng), rng.random() > 0.05, kind == "store", rng.randint(50, 400), 50))
        capacity[node_id] = rng.choice((None, 0, 5, 50))
        breadth = 0.75 if kind == "warehouse" else 0.3
        for sku in rng.sample(range(SKUS), int(SKUS * breadth)):
            available[(f"SKU-{sku}", node_id)] = rng.randint(0, 20)
    return nodes, available, capacity


def _order(rng: random.Random) -> RoutingRequest:
    skus = rng.sample(range(BEST_SELLERS), LINES)
    lines = tuple(RoutingLine(f"L{j + 1}", f"SKU-{sku}", rng.randint(1, 4)) for j, sku in enumerate(skus))
    return RoutingRequest(lines, "ship", None, _point(rng), rng.choice(("standard", "express")))


def _slice(request: RoutingRequest, nodes: list[Node], available: Stock) -> Stock:
    keys = ((line.sku, node.node_id) for line in request.lines for node in nodes)
    return {key: available[key] for key in keys if key in available}


def _run(name: str, policy: Policy, seconds: float, whole_catalogue: bool = False, traced: int = 100) -> None:
    rng = random.Random(42)  # noqa: S311 - seeded test data, not security
    nodes, available, capacity = _world(rng)
    orders = [_order(rng) for _ in range(max(traced, 50))]
    stocks: list[Mapping[tuple[str, str], int]] = [
        available if whole_catalogue else _slice(order, nodes, available) for order in orders
    ]
    timings: list[float] = []
    outcomes: dict[str, int] = {}
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        i = len(timings) % len(orders)
        start = time.perf_counter()
        decision = route(orders[i], nodes, stocks[i], capacity, policy)
        timings.append(time.perf_counter() - start)
        outcomes[decision.outcome] = outcomes.get(decision.outcome, 0) + 1
    tracemalloc.start()
    for order, stock in zip(orders[:traced], stocks, strict=False):
        route(order, nodes, stock, capacity, policy)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    micros = sorted(t * 1e6 for t in timings)
    p95 = micros[int(len(micros) * 0.95)]
    shares = ", ".join(f"{k} {v / len(timings):.0%}" for k, v in sorted(outcomes.items()))
    print(
        f"{name:<44} {len(timings) / sum(timings):>7,.0f}/s  mean {statistics.fmean(micros):>6,.0f} us"
        f"  p95 {p95:>6,.0f} us  peak {peak / 1024:>5,.0f} KiB  ({shares})"
    )


def main() -> None:
    quick = "--quick" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--quick"]
    seconds = float(args[0]) if args else (0.2 if quick else 3.0)
    traced = 5 if quick else 100  # orders routed under tracemalloc for the memory peak
    print(f"{NODES} nodes, {LINES}-line orders, {seconds:g} s per scenario")
    scenarios = [
        ("cost, single node only", Policy(strategy="cost", allow_split=False), False),
        ("distance, single node only", Policy(strategy="distance", allow_split=False), False),
        ("cost, split up to 3", Policy(strategy="cost", max_shipments=3), False),
        ("distance, split up to 3", Policy(strategy="distance", max_shipments=3), False),
        ("cost, split up to 3, partial", Policy(max_shipments=3, when_unfillable="partial"), False),
        ("cost, split up to 3, whole-catalogue stock", Policy(max_shipments=3), True),
    ]
    for name, policy, whole in scenarios:
        _run(name, policy, seconds, whole_catalogue=whole, traced=traced)


if __name__ == "__main__":
    main()

"""Report time on DuckDB: every report over 10k and 100k facts (about 10 facts an order: capture,
lines, payment, reservation, release, packing, shipping, delivery, some returns and refunds), the
load time, and the median of three runs per report. Prints figures only; nothing here asserts timings.

Run: .venv/bin/python -m benchmarks.analytics_bench [--quick]    (make bench-analytics: the full run)
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from shared.adapters.duckdb_reports import DuckDBReports
from shared.analytics import catalog
from shared.analytics.scope import Scope, scoped
from shared.domain.facts import Fact, fact_id, partition_of

START = datetime(2026, 3, 1, tzinfo=UTC)
CHANNELS, NODES, SKUS = ("web", "pos", "marketplace"), ("dc-east", "dc-west", "store-1"), 200


def order_facts(rng: random.Random, n: int) -> list[Fact]:
    """One synthetic order's facts over its lifecycle, spread over 30 days of captures."""
    oid, channel, node = f"ord_{n}", rng.choice(CHANNELS), rng.choice(NODES)
    t = START + timedelta(minutes=rng.randrange(30 * 24 * 60))
    common = {"channel": channel, "currency": "USD", "region": "TX", "postal_prefix": "733"}
    facts: list[Fact] = []

    def add(kind: str, minutes: float, about: str = "", **values: object) -> None:
        facts.append(Fact(fact_id(oid, kind, about), kind, t + timedelta(minutes=minutes), oid, **common, **values))  # type: ignore[arg-type]

    sku, quantity = f"SKU-{rng.randrange(SKUS)}", rng.randint(1, 3)
    add("captured", 0, amount=quantity * 1500, shipping_amount=500)
    add("captured_line", 0, "L1", line_id="L1", sku=sku, quantity=quantity, amount=quantity * 1500)
    add("payment_checked", 1, amount=quantity * 1500 + 500)
    add("reserved", 2, "r", node_id=node, line_id="L1", sku=sku, quantity=quantity, reason="first_try")
    shipment = f"{oid}-S1"
    add("released", 3, shipment, node_id=node, shipment_id=shipment, quantity=quantity)
    packed = 3 + rng.expovariate(1 / 240)
    add("shipment_packed", packed, node_id=node, shipment_id=shipment, quantity=quantity)
    add("shipment_shipped", packed + 10, node_id=node, shipment_id=shipment, quantity=quantity, amount=700)
    add("shipment_delivered", packed + 10 + rng.expovariate(1 / 2000), node_id=node, shipment_id=shipment)
    if rng.random() < 0.1:
        add("return_opened", 5000, "L1", node_id=node, shipment_id=f"{oid}-R1", line_id="L1", sku=sku, quantity=1,
            reason=rng.choice(("damaged", "wrong_size")))  # fmt: skip
        add("refund_settled", 6000, amount=1500, reason="return")
    return facts


def facts(count: int) -> list[Fact]:
    rng = random.Random(14)  # noqa: S311 - a repeatable workload, not a secret
    out: list[Fact] = []
    n = 0
    while len(out) < count:
        out += order_facts(rng, n)
        n += 1
    return out[:count]


def run(count: int, runs: int) -> None:
    rows = facts(count)
    engine = DuckDBReports()
    started = time.perf_counter()
    engine.load({**f.row(), "dt": partition_of(f.occurred_at)} for f in rows)
    load_ms = (time.perf_counter() - started) * 1000
    scope = Scope(START.date(), START.date() + timedelta(days=30))
    print(f"{count} facts ({len({f.order_id for f in rows})} orders): loaded in {load_ms:.0f} ms")
    total = []
    for report in catalog.reports().values():
        sql = scoped(report.sql, scope)
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            result = engine.run(sql)
            timings.append((time.perf_counter() - started) * 1000)
        total.append(statistics.median(timings))
        print(f"  {report.name:18} median {statistics.median(timings):7.1f} ms  ({len(result.rows)} rows)")
    print(f"  all {len(total)} reports: {sum(total):.0f} ms")


def main(argv: list[str]) -> None:
    sizes, runs = ((2_000,), 1) if "--quick" in argv else ((10_000, 100_000), 3)
    for count in sizes:
        run(count, runs)


if __name__ == "__main__":
    main(sys.argv[1:])

"""DynamoDB reads per routed order, by network size and order size. Prints figures only.

Run: .venv/bin/python -m benchmarks.routing_reads   (--quick: 10 and 50 nodes, 1 and 5 lines;
--only NODES LINES: one scenario)

Each scenario stocks every SKU of the order at every node (the worst case for routing: every node is
a candidate), then routes and reserves orders through the real use case and DynamoDB adapters
against moto (server mode). A botocore hook counts, per order, the DynamoDB calls, the items they
returned and the read capacity units DynamoDB would bill for them (from item sizes: 4 KB per unit,
half for an eventually consistent read; a Query is billed on the sum of its items, a Get or
BatchGet per item). The node directory is cached per execution environment, as in Lambda: each
scenario's first order pays for reading it, the others do not, so the median is a warm order.
"""

from __future__ import annotations

import contextlib
import logging
import os
import statistics
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3

from benchmarks.cost_meter import item_size, read_units
from devstack import plan
from devstack.moto_server import EmbeddedMotoServer
from devstack.provision import provision
from devstack.stack import free_port
from shared.adapters.cached_nodes import CachedNodes
from shared.adapters.dynamodb_inventory import DynamoDBInventory
from shared.adapters.dynamodb_nodes import DynamoDBNodes, DynamoDBPolicies
from shared.adapters.dynamodb_orders import DynamoDBOrders
from shared.adapters.system import SystemClock
from shared.domain.inventory import StockChange
from shared.domain.order import Customer, Delivery, place
from shared.domain.routing import Node
from shared.domain.values import Address, GeoPoint
from shared.ports import AdjustmentReplay
from shared.usecases.reserve_order import reserve_order

REGION = "us-east-1"
ORDERS = 5  # per scenario: the first pays for the node directory, the median is a warm order
READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}


@dataclass
class Tally:
    calls: int = 0
    reads: int = 0
    items: int = 0
    rru: float = 0.0


class ReadCounter:
    """Counts one client's DynamoDB calls while `counting()` is on."""

    def __init__(self, client: Any) -> None:
        self.tally = Tally()
        self._on = threading.local()
        client.meta.events.register("before-parameter-build.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)

    @contextmanager
    def counting(self) -> Iterator[Tally]:
        self.tally, self._on.active = Tally(), True
        try:
            yield self.tally
        finally:
            self._on.active = False

    def _before(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["reads_params"] = params

    def _after(self, model: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if not getattr(self._on, "active", False):
            return
        t, op, params = self.tally, model.name, context.get("reads_params") or {}
        t.calls += 1
        if op not in READS:
            return
        t.reads += 1
        match op:
            case "GetItem":
                t.items += 1 if parsed.get("Item") else 0
                t.rru += read_units(item_size(parsed.get("Item")), bool(params.get("ConsistentRead")))
            case "Query" | "Scan":
                items = parsed.get("Items", [])
                t.items += len(items)
                t.rru += read_units(sum(item_size(i) for i in items), bool(params.get("ConsistentRead")))
            case "BatchGetItem":
                for table, items in parsed.get("Responses", {}).items():
                    consistent = bool(params["RequestItems"][table].get("ConsistentRead"))
                    t.items += len(items)
                    t.rru += sum(read_units(item_size(i), consistent) for i in items)
            case "TransactGetItems":
                answers = parsed.get("Responses", [])
                t.items += len(answers)
                t.rru += sum(2 * read_units(item_size(r.get("Item")), True) for r in answers)


def _scenario(db: Any, tables: dict[str, str], counter: ReadCounter, nodes_n: int, lines_n: int) -> list[Tally]:
    run = uuid.uuid4().hex[:6]
    inventory = DynamoDBInventory(db, tables["inventory"])
    directory = DynamoDBNodes(db, tables["inventory"])  # nodes and policies live in the inventory table
    skus = [f"R{run}-{i}" for i in range(lines_n)]
    now = datetime.now(UTC)
    for n in range(nodes_n):
        node_id = f"n{run}-{n:04d}"
        point = GeoPoint(30.0 + (n % 17) * 0.5, -97.0 - (n % 23) * 0.5)
        directory.put(Node(node_id, "warehouse", point, True, False, 100 + n % 50, 1_000 if n % 2 else None))
        changes = [StockChange(sku, 10 * ORDERS) for sku in skus]
        # botocore may retry a write that had landed (a slow machine): applied once all the same
        with contextlib.suppress(AdjustmentReplay):
            inventory.adjust(f"rr-{node_id}", "h", node_id, changes, now)
    orders = DynamoDBOrders(db, tables["orders"])
    # one environment: the directory cache lives as long as the function's module would
    nodes = CachedNodes(directory)
    policies = DynamoDBPolicies(db, tables["inventory"])
    tallies = []
    for i in range(ORDERS):
        order = place(
            order_id=f"ord_rr{run}{i}",
            channel="web",
            external_id=f"RR-{run}-{i}",
            currency="USD",
            customer=Customer("a@example.com", "A"),
            ship_to=Address("A", "1 Main St", "Austin", "TX", "73301", "US", lat=30.27, lon=-97.74),
            lines=[(sku, 1, 500) for sku in skus],
            shipping_amount=0,
            tax_amount=0,
            payment_intent=f"pi_rr{run}{i}",
            delivery=Delivery("ship", "standard"),
            at=now,
        )
        orders.add(order, "h")
        with counter.counting() as tally:
            outcome = reserve_order(
                order.order_id, orders=orders, inventory=inventory, nodes=nodes, policies=policies, clock=SystemClock()
            )
        assert outcome.outcome == "allocated", outcome
        tallies.append(tally)
    return tallies


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    quick = "--quick" in args
    networks: tuple[int, ...] = (10, 50) if quick else (10, 100, 1_000)
    sizes: tuple[int, ...] = (1, 5) if quick else (1, 10, 50)
    if "--only" in args:  # --only NODES LINES: one scenario
        at = args.index("--only")
        networks, sizes = (int(args[at + 1]),), (int(args[at + 2]),)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    for name, fallback in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        os.environ.setdefault(name, fallback)  # moto's dummy credentials
    server = EmbeddedMotoServer(free_port())
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        res = provision(plan.build(), endpoint, REGION, "orders@waybill.test", "sk_test_reads")
        db = boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION)
        counter = ReadCounter(db)
        names = {name: res.tables[name] for name in ("inventory", "orders")}
        print(f"{'nodes':>5} {'lines':>5}  {'calls':>5} {'reads':>5} {'items read':>10} {'RRU':>8}   first order RRU")
        for nodes_n in networks:
            for lines_n in sizes:
                tallies = _scenario(db, names, counter, nodes_n, lines_n)
                warm = tallies[1:]
                print(
                    f"{nodes_n:>5} {lines_n:>5}  {statistics.median(t.calls for t in warm):>5.0f} "
                    f"{statistics.median(t.reads for t in warm):>5.0f} "
                    f"{statistics.median(t.items for t in warm):>10,.0f} {statistics.median(t.rru for t in warm):>8.1f}"
                    f"   {tallies[0].rru:.1f}"
                )
        print("median of a warm order; RRU from item sizes (DynamoDB's on-demand billing rules)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()

"""What an order costs in AWS: a fixed workload on the embedded stack, every billable request counted
(benchmarks/cost_meter.py) and priced with the list prices in benchmarks/aws_prices.json. Prints
figures only; nothing asserts them.

Workload, one scenario after the other: orders delivered in one shipment, orders delivered in two
(a split between the store and a warehouse), an order cancelled before its warehouse answers, and
the return of one unit of a delivered order. Each scenario's cost is what was counted between its
start and the end of every execution it started, divided by its orders.

Not counted: CloudWatch Logs (but for what an Express machine writes to its log group, where its
steps are read: it stands in for the execution history Standard keeps free), X-Ray, storage
(DynamoDB, S3), the authorizer (its answer is cached 5 minutes per key, so it runs about once per
key in that time, not once per order), and the simulators' reads of orders over the API (they poll
to pace themselves; a warehouse would not).
Lambda is priced from a modelled duration (benchmarks/cost_meter.py: the handler's own CPU time at
the function's share of a vCPU, plus a stated round trip per request it makes); the first invocation
of each function includes its imports, as Lambda now bills init. The same figure with Lambda priced
at this machine's wall time, an upper bound inflated by the functions sharing one interpreter and
everything two cores, is printed beside it.

Run: .venv/bin/python -m benchmarks.cost [--orders N] [--quick]
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.cost_meter import DEFAULT_LATENCY_MS, LATENCY_MS, Meter

PRICES_FILE = Path(__file__).with_name("aws_prices.json")
TRANSITION = "StateEntered"
EXPRESS_GB = 64 / 1024  # Express bills memory in 64 MB steps; a small definition and payload use one
EXCLUDED_OWNERS = {"authorizer"}
SIMULATORS = "warehouse/carrier"


@dataclass
class Snapshot:
    requests: Counter[tuple[str, str, str]]
    units: dict[tuple[str, str], float]
    invocations: Counter[str]
    api_requests: int

    @classmethod
    def of(cls, meter: Meter) -> Snapshot:
        return cls(Counter(meter.requests), dict(meter.units), Counter(meter.invocations), meter.api_requests)

    def __sub__(self, other: Snapshot) -> Snapshot:
        units = {k: v - other.units.get(k, 0.0) for k, v in self.units.items()}
        return Snapshot(
            self.requests - other.requests,
            units,
            self.invocations - other.invocations,
            self.api_requests - other.api_requests,
        )


@dataclass
class Scenario:
    name: str
    orders: int
    usage: Snapshot
    transitions: Counter[str] = field(default_factory=Counter)  # by Standard state machine
    # by Express state machine: executions, and GB-seconds billed (64 MB, per started 100 ms) at
    # this machine's wall time (an upper bound, like Lambda's)
    express: dict[str, tuple[int, float]] = field(default_factory=dict)
    # by Express state machine: bytes its executions wrote to its log group (where its steps are read)
    logged: dict[str, int] = field(default_factory=dict)


def price_lines(s: Scenario, prices: dict[str, Any]) -> list[tuple[str, str, str, float, float]]:
    """(service, owner, what, quantity, USD) for everything the scenario used."""
    lines: list[tuple[str, str, str, float, float]] = []
    for machine, count in sorted(s.transitions.items()):
        lines.append(
            ("stepfunctions", machine, "transitions", count, count * prices["stepfunctions_standard_per_transition"])
        )
    for machine, (runs, _) in sorted(s.express.items()):
        gb_s = express_modelled_gb_s(s, machine, runs)
        lines.append(
            ("stepfunctions", machine, "express runs", runs, runs * prices["stepfunctions_express_per_request"])
        )
        lines.append(
            ("stepfunctions", machine, "express GB-s", gb_s, gb_s * prices["stepfunctions_express_per_gb_second"])
        )
    for machine, size in sorted(s.logged.items()):
        gb = size / 1024**3
        lines.append(("logs", machine, "GB ingested", gb, gb * prices["cloudwatch_logs_ingestion_per_gb"]))
    for (unit, owner), amount in sorted(s.usage.units.items()):
        if owner in EXCLUDED_OWNERS or not amount:
            continue
        if unit in ("wru", "rru"):
            price = prices[f"dynamodb_on_demand_per_{unit}"]
            lines.append(("dynamodb", owner, unit.upper(), amount, amount * price))
        elif unit == "lambda_gb_s":
            lines.append(("lambda", owner, "GB-s", amount, amount * prices["lambda_arm64_per_gb_second"]))
    for owner, count in sorted(s.usage.invocations.items()):
        if owner not in EXCLUDED_OWNERS:
            lines.append(("lambda", owner, "invocations", count, count * prices["lambda_arm64_per_request"]))
    lines.append(
        (
            "apigateway",
            "-",
            "requests",
            s.usage.api_requests,
            s.usage.api_requests * prices["apigateway_rest_per_request"],
        )
    )
    by_service: dict[tuple[str, str, str], int] = defaultdict(int)
    for (service, operation, owner), count in s.usage.requests.items():
        if owner in EXCLUDED_OWNERS:
            continue
        match service, operation:
            case "sqs", _:
                by_service[("sqs", owner, "requests")] += count
            case "sns", "Publish":
                by_service[("sns", owner, "publishes")] += count  # deliveries to SQS subscribers are free
            case "s3", _ if owner == SIMULATORS:
                pass  # the carrier simulator finds labels by listing the bucket; a carrier is told by API
            case "s3", "PutObject" | "CopyObject" | "ListObjects" | "ListObjectsV2":
                by_service[("s3", owner, "PUT/LIST")] += count
            case "s3", _:
                by_service[("s3", owner, "GET")] += count
            case "ses", "SendTemplatedEmail" | "SendEmail" | "SendRawEmail":
                by_service[("ses", owner, "emails")] += count
            case "secretsmanager", "GetSecretValue":
                by_service[("secretsmanager", owner, "calls")] += count
    unit_price = {
        "sqs": prices["sqs_standard_per_request"],
        "sns": prices["sns_standard_per_publish"],
        "ses": prices["ses_per_email"],
        "secretsmanager": prices["secretsmanager_per_api_call"],
    }
    for (service, owner, what), count in sorted(by_service.items()):
        if service == "s3":
            price = prices["s3_standard_put_per_request" if what == "PUT/LIST" else "s3_standard_get_per_request"]
        else:
            price = unit_price[service]
        lines.append((service, owner, what, count, count * price))
    return lines


def express_modelled_gb_s(s: Scenario, machine: str, runs: int) -> float:
    """An Express run's billed GB-seconds from its tasks' modelled durations (as Lambda is priced:
    benchmarks/cost_meter.py) plus the service integration's round trip per task, each run rounded
    up to 100 ms, at 64 MB."""
    from shared.topology import FUNCTIONS, TaskTrigger

    tasks = {
        f.name for f in FUNCTIONS for t in f.triggers if isinstance(t, TaskTrigger) and t.state_machine.name == machine
    }
    seconds = sum(v for (u, o), v in s.usage.units.items() if u == "lambda_s" and o in tasks)
    invoked = sum(n for o, n in s.usage.invocations.items() if o in tasks)
    if not runs:
        return 0.0
    per_run = (seconds + invoked * LATENCY_MS.get("lambda", DEFAULT_LATENCY_MS) / 1000) / runs
    return runs * math.ceil(per_run * 10) / 10 * EXPRESS_GB


def wall_time_extra(s: Scenario, prices: dict[str, Any]) -> float:
    """What Lambda (and an Express run) would add (USD, for the scenario) were they billed this
    machine's wall time."""
    gb_s = sum(v for (u, o), v in s.usage.units.items() if u == "lambda_gb_s_wall" and o not in EXCLUDED_OWNERS)
    modelled = sum(v for (u, o), v in s.usage.units.items() if u == "lambda_gb_s" and o not in EXCLUDED_OWNERS)
    express = sum(wall - express_modelled_gb_s(s, m, runs) for m, (runs, wall) in s.express.items())
    return (gb_s - modelled) * float(prices["lambda_arm64_per_gb_second"]) + express * float(
        prices["stepfunctions_express_per_gb_second"]
    )


def print_scenario(s: Scenario, prices: dict[str, Any]) -> tuple[float, float, float]:
    """Prints the scenario's table; (total, without SES, without SES at wall time) per 1,000 orders."""
    lines = price_lines(s, prices)
    total = sum(usd for *_, usd in lines)
    without_ses = sum(usd for service, *_, usd in lines if service != "ses")
    per = 1000 / s.orders
    wall = (without_ses + wall_time_extra(s, prices)) * per
    print(f"\n== {s.name}: {s.orders} order(s); per 1,000 orders ==")
    print(f"{'service':<15} {'function / owner':<24} {'what':<12} {'quantity':>12} {'USD':>9}")
    for service, owner, what, quantity, usd in lines:
        if quantity:
            print(f"{service:<15} {owner:<24} {what:<12} {quantity * per:>12.1f} {usd * per:>9.4f}")
    services: dict[str, float] = defaultdict(float)
    for service, *_, usd in lines:
        services[service] += usd * per
    print("by service: " + ", ".join(f"{k} {v:.4f}" for k, v in sorted(services.items(), key=lambda kv: -kv[1])))
    print(f"total {total * per:.4f} USD, without SES {without_ses * per:.4f} USD per 1,000 orders")
    print(f"without SES, Lambda at this machine's wall time (an upper bound): {wall:.4f} USD")
    return total * per, without_ses * per, wall


class Workload:
    """Drives the embedded stack over HTTP as channels do; reads order state straight from DynamoDB
    on the main thread, so its own polling is never counted."""

    def __init__(self, stack: Any, meter: Meter) -> None:
        import boto3
        import requests
        import stripe

        self.stack, self.meter, self.requests = stack, meter, requests
        self.info = stack.info
        self.payments = stripe.StripeClient("sk_test_cost", base_addresses={"api": self.info["localstripe"]})
        self.sfn = boto3.client("stepfunctions")
        self.logs = boto3.client("logs")
        from shared.adapters.dynamodb_orders import DynamoDBOrders

        self.orders = DynamoDBOrders(boto3.client("dynamodb"), stack.resources.tables["orders"])
        self.counter = 0

    def http(self, method: str, path: str, who: str, body: Any = None) -> Any:
        keys = self.info["keys"]
        key = keys["channels"][who] if who in keys["channels"] else keys[who]
        headers = {"Authorization": f"Bearer {key}"}
        return self.requests.request(method, self.info["api"] + path, json=body, headers=headers, timeout=60)

    def call(self, method: str, path: str, who: str, body: Any = None) -> Any:
        answer = self.http(method, path, who, body)
        answer.raise_for_status()
        return answer.json()

    def body(self, lines: list[dict[str, Any]], line2: str | None = None) -> dict[str, Any]:
        self.counter += 1
        total = sum(line["quantity"] * line["unit_amount"] for line in lines) + 499
        intent = self.payments.v1.payment_intents.create(
            params={"amount": total, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
        )
        ship_to: dict[str, Any] = {"name": "Ada Lovelace", "line1": "1 Main St", "city": "Philadelphia"}
        ship_to |= {"region": "PA", "postal_code": "19103", "country": "US", "lat": 39.95, "lon": -75.17}
        if line2:
            ship_to["line2"] = line2
        return {
            "external_id": f"COST-{self.counter:05d}",
            "currency": "USD",
            "customer": {"email": "ada@example.com", "name": "Ada Lovelace"},
            "ship_to": ship_to,
            "lines": lines,
            "shipping_amount": 499,
            "payment": {"stripe_payment_intent": str(intent.id)},
            "delivery": {"method": "ship", "service_level": "standard"},
        }

    def status(self, order_id: str) -> str:
        order = self.orders.get(order_id)
        return order.status.value if order else "MISSING"

    def settle(self, order_ids: list[str], done: set[str], timeout_s: float = 300, grace_s: float = 90) -> None:
        """Until every order's status is in `done` and no execution is running (or `grace_s` more
        have passed: on a loaded machine an execution's last steps can lag; what they did by the
        time the histories are read is counted)."""
        deadline = time.monotonic() + timeout_s
        while not all(self.status(o) in done for o in order_ids):
            if time.monotonic() > deadline:
                raise RuntimeError(f"orders did not settle: {[(o, self.status(o)) for o in order_ids]}")
            time.sleep(0.3)
        grace = time.monotonic() + grace_s
        while self.running():
            if time.monotonic() > grace:
                print(f"note: executions still running {grace_s:.0f} s after {done}; counted as far as they got")
                return
            time.sleep(0.3)
        time.sleep(1.0)  # the last queue messages and emails

    def running(self) -> bool:
        machines = self.info["resources"]["state_machines"].values()
        return any(
            self.sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"] for arn in machines
        )

    def transitions_since(self, started: float) -> tuple[Counter[str], dict[str, tuple[int, float]]]:
        """Standard machines' transitions, and Express machines' runs and billed GB-seconds (this
        machine's wall time, an upper bound; moto lists Express executions, AWS would not)."""
        from shared.topology import STATE_MACHINES

        express = {m.name for m in STATE_MACHINES if m.express}
        counted: Counter[str] = Counter()
        runs: dict[str, tuple[int, float]] = {}
        for name, arn in self.info["resources"]["state_machines"].items():
            for page in self.sfn.get_paginator("list_executions").paginate(stateMachineArn=arn):
                for execution in page["executions"]:
                    if execution["startDate"].timestamp() < started:
                        continue
                    if name in express:
                        took = (execution.get("stopDate") or execution["startDate"]) - execution["startDate"]
                        billed = math.ceil(max(took.total_seconds(), 0.001) * 10) / 10 * EXPRESS_GB
                        count, gb_s = runs.get(name, (0, 0.0))
                        runs[name] = (count + 1, gb_s + billed)
                        continue
                    events = self.sfn.get_execution_history(executionArn=execution["executionArn"], maxResults=1000)
                    counted[name] += sum(e["type"].endswith(TRANSITION) for e in events["events"])
        return counted, runs

    def logged_since(self, started: float) -> dict[str, int]:
        """Bytes each Express machine's executions wrote to its log group since `started` (their
        steps are read from there; the Standard machines' logs, without data, are not counted, as
        no function's are)."""
        from devstack.provision import state_machine_log_group
        from shared.topology import STATE_MACHINES

        logged: dict[str, int] = {}
        for machine in (m for m in STATE_MACHINES if m.express):
            pages = self.logs.get_paginator("filter_log_events").paginate(
                logGroupName=state_machine_log_group(machine.name), startTime=int(started * 1000)
            )
            logged[machine.name] = sum(len(e["message"].encode()) for page in pages for e in page["events"])
        return logged

    def scenario(self, name: str, orders: int, run: Any) -> Scenario:
        started, before = time.time() - 0.5, Snapshot.of(self.meter)
        run()
        usage = Snapshot.of(self.meter) - before
        transitions, express = self.transitions_since(started)
        return Scenario(name, orders, usage, transitions, express, self.logged_since(started))


def run(orders: int) -> list[Scenario]:
    state = Path(tempfile.mkdtemp(prefix="waybill-cost-"))
    os.environ |= {
        "WAYBILL_STATE_DIR": str(state),
        "WAYBILL_SIM_STEP_S": "0.05",
        "WAYBILL_DEV_VISIBILITY_TIMEOUT_S": "1",
    }
    meter = Meter()
    meter.install()  # before the stack creates any boto3 session
    meter.count_stripe()
    from devstack import demo
    from devstack.gateway import Gateway
    from devstack.stack import EmbeddedStack, free_port

    stack = EmbeddedStack(state, api_port=free_port())
    stack.start()
    try:
        meter.wrap_runtime(stack.runtime)
        keys = stack.info["keys"]
        simulators = {keys["carrier"], keys["ops"], keys["admin"], keys["warehouse"]}
        for part in stack._started:
            if isinstance(part, Gateway):
                meter.wrap_gateway(part, simulators)
        work = Workload(stack, meter)
        demo._load_catalogue(work.http)
        delivered: list[str] = []

        def single() -> None:
            line = [{"sku": "TSHIRT-BLK-M", "quantity": 1, "unit_amount": 1900}]
            ids = [work.call("POST", "/v1/orders", "web", work.body(line))["order_id"] for _ in range(orders)]
            work.settle(ids, {"DELIVERED"})
            delivered.extend(ids)

        def split() -> None:
            # only the store has hoodies, and it has no mugs: two shipments
            lines = [
                {"sku": "HOODIE-GRY-L", "quantity": 1, "unit_amount": 5900},
                {"sku": "MUG-LOGO", "quantity": 1, "unit_amount": 1200},
            ]
            ids = [work.call("POST", "/v1/orders", "web", work.body(lines))["order_id"] for _ in range(min(orders, 4))]
            work.settle(ids, {"DELIVERED"})

        def cancel() -> None:
            line = [{"sku": "TSHIRT-BLK-M", "quantity": 1, "unit_amount": 1900}]
            order_id = work.call("POST", "/v1/orders", "web", work.body(line, "sim:silent"))["order_id"]
            _until(work, order_id, "RELEASED")
            work.call("POST", f"/v1/orders/{order_id}/cancel", "web", {"reason": "changed my mind"})
            work.settle([order_id], {"CANCELLED"})

        def give_back() -> None:
            order_id = delivered[0]
            order = work.call("GET", f"/v1/orders/{order_id}", "web")
            body = {"lines": [{"line_id": order["lines"][0]["line_id"], "quantity": 1}], "reason": "wrong size"}
            work.call("POST", f"/v1/orders/{order_id}/returns", "web", body)
            work.settle([order_id], {"RETURNED"})

        return [
            work.scenario("delivered, one shipment", orders, single),
            work.scenario("delivered, two shipments", min(orders, 4), split),
            work.scenario("cancelled before it shipped", 1, cancel),
            work.scenario("returned (after delivery)", 1, give_back),
        ]
    finally:
        stack.stop()


def _until(work: Workload, order_id: str, status: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while work.status(order_id) != status:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{order_id} never reached {status}: {work.status(order_id)}")
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    # 25, not 10: a function's first invocations (its imports, its first read of a secret) are paid
    # once per execution environment; 10 orders made them a tenth of the figure, and how many
    # environments the burst needed moved it by a cent per 1,000
    parser.add_argument("--orders", type=int, default=25, help="orders in the one-shipment scenario (default 25)")
    parser.add_argument("--quick", action="store_true", help="one order per scenario (the test command)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")  # a simulator's refusals
    prices = json.loads(PRICES_FILE.read_text())
    began = time.perf_counter()
    scenarios = run(1 if args.quick else args.orders)
    took = time.perf_counter() - began
    print(f"\nAWS list prices, {prices['region']}, as of {prices['as_of']} ({PRICES_FILE.name}); workload {took:.0f} s")
    summary = []
    for s in scenarios:
        total, without_ses, wall = print_scenario(s, prices)
        summary.append((s, total, without_ses, wall))
    print(
        f"\n{'scenario':<30} {'orders':>6} {'transitions':>11} {'WRU':>7} {'RRU':>7} {'USD/1k':>8} {'no SES':>8}"
        f" {'wall':>8}"
    )
    for s, total, without_ses, wall in summary:
        wru = sum(v for (u, o), v in s.usage.units.items() if u == "wru" and o not in EXCLUDED_OWNERS) / s.orders
        rru = sum(v for (u, o), v in s.usage.units.items() if u == "rru" and o not in EXCLUDED_OWNERS) / s.orders
        transitions = sum(s.transitions.values()) / s.orders
        print(
            f"{s.name:<30} {s.orders:>6} {transitions:>11.1f} {wru:>7.1f} {rru:>7.1f} {total:>8.4f} {without_ses:>8.4f}"
            f" {wall:>8.4f}"
        )
    print("(no SES: Lambda at its modelled duration; wall: the same at this machine's wall time)")
    print(f"cost_per_1000_orders_usd_without_ses: {summary[0][2]:.4f}")


if __name__ == "__main__":
    main(sys.argv[1:])

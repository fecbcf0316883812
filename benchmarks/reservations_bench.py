"""Reservation throughput on the embedded stack. Prints figures only; nothing here asserts timings.

Run: .venv/bin/python -m benchmarks.reservations_bench [orders]   (--quick: 50 reservations, 5 orders)

1. Reservation transactions per second through the DynamoDB adapter against the embedded moto
   (the storage path of every reservation: one conditional transaction per node).
2. Orders per second end to end: HTTP capture -> state machine -> payment check -> confirmation
   email -> route and reserve, until every order has been reserved (RESERVED or further along:
   with the simulators on, an order leaves RESERVED within a second), and on until every order is
   DELIVERED by the simulated warehouse and carrier at their fastest; capture latency p50/p95.
   The load is a closed loop: at most IN_FLIGHT orders are between capture and delivery at once.
   AWS would add Lambda environments for a burst; this 2-core machine cannot, so an open flood of
   1,000 orders only queued invocations past the preparation's 35 s task timeouts.
3. The stack itself: its resident memory after the run (its process and moto's), and how long it
   takes to stop.
The embedded stack serializes DynamoDB requests (to be atomic like AWS), so these figures measure
this machine's emulator, not DynamoDB; see docs/hot-sku.md for the load model on AWS.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import boto3
import requests
import stripe

from devstack.stack import EmbeddedStack, free_port
from shared.adapters.dynamodb_inventory import DynamoDBInventory
from shared.domain.inventory import StockChange


def _adapter_reservations(inventory: DynamoDBInventory, count: int, workers: int) -> None:
    sku = f"BENCH-{uuid.uuid4().hex[:6]}"
    inventory.adjust(f"bench-{sku}", "h", "bench-dc", [StockChange(sku, count * 2)], _now())
    latencies: list[float] = []

    def reserve(i: int) -> bool:
        began = time.perf_counter()
        ok = inventory.reserve(f"ord_bench_{sku}_{i}", "bench-dc", {sku: 1}, "2026-01-01", None)
        latencies.append(time.perf_counter() - began)
        return ok

    began = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        wins = sum(pool.map(reserve, range(count)))
    elapsed = time.perf_counter() - began
    print(
        f"adapter, {workers:2d} threads: {wins} reservations in {elapsed:.2f} s = {wins / elapsed:,.0f}/s; "
        f"latency mean {statistics.mean(latencies) * 1000:.1f} ms, "
        f"p95 {statistics.quantiles(latencies, n=20)[18] * 1000:.1f} ms"
    )


# An order that was reserved, wherever it is now; and where an order ends that never will be.
REACHED = frozenset({"RESERVED", "RELEASED", "PARTIALLY_SHIPPED", "SHIPPED", "DELIVERED"})
NOT_RESERVED = frozenset({"ON_HOLD", "BACKORDERED", "EXCEPTION", "CANCELLED"})


def _end_to_end(info: dict[str, object], orders: int) -> None:
    api = str(info["api"])
    keys = info["keys"]
    assert isinstance(keys, dict)
    web = {"Authorization": f"Bearer {keys['channels']['web']}"}
    admin = {"Authorization": f"Bearer {keys['admin']}"}
    sku = f"E2E-{uuid.uuid4().hex[:6]}"
    receipt = {
        "reference": f"b-{sku}",
        "node_id": "bench-dc",
        "type": "receipt",
        "lines": [{"sku": sku, "quantity": orders}],
    }
    requests.post(f"{api}/v1/inventory/adjustments", json=receipt, headers=admin, timeout=30).raise_for_status()
    client = stripe.StripeClient("sk_test_bench", base_addresses={"api": str(info["localstripe"])})
    # one payment per order (a PaymentIntent backs exactly one order), made before the clock starts
    intents = [
        client.v1.payment_intents.create(
            params={"amount": 500, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
        ).id
        for _ in range(orders)
    ]

    def place(i: int) -> str:
        body = {
            "external_id": f"{sku}-{i}",
            "currency": "USD",
            "customer": {"email": "bench@example.com", "name": "Bench"},
            "ship_to": {
                "name": "B",
                "line1": "1 St",
                "city": "Austin",
                "region": "TX",
                "postal_code": "73301",
                "country": "US",
            },
            "lines": [{"sku": sku, "quantity": 1, "unit_amount": 500}],
            "payment": {"stripe_payment_intent": intents[i]},
        }
        answer = requests.post(f"{api}/v1/orders", json=body, headers=web, timeout=60)
        answer.raise_for_status()
        return str(answer.json()["order_id"])

    latencies: list[float] = []
    began = time.perf_counter()
    watcher = _Watcher(api, web, sku, orders, began)

    def timed(i: int) -> str:
        # the closed loop: wait while IN_FLIGHT orders are on their way
        while not watcher.room.acquire(timeout=5):
            if watcher.finished.is_set():
                raise SystemExit(f"the status reader stopped: {watcher.error!r}")
        sent = time.perf_counter()
        order_id = place(i)
        latencies.append(time.perf_counter() - sent)
        return order_id

    watcher.start()
    try:
        with ThreadPoolExecutor(20) as pool:
            ids = list(pool.map(timed, range(orders)))
        captured = time.perf_counter() - began
        watcher.join(timeout=ENDS_WITHIN_S)
    finally:
        watcher.stop_reading.set()
    if watcher.error is not None or watcher.ended_after is None:
        raise SystemExit(f"not every order ended within {ENDS_WITHIN_S} s of the last capture ({watcher.error!r})")
    reserved, delivered = watcher.reserved_after or watcher.ended_after, watcher.ended_after
    statuses = {oid: watcher.statuses.get(oid, "") for oid in ids}
    stuck = {oid: s for oid, s in statuses.items() if s != "DELIVERED"}
    if stuck:
        raise SystemExit(f"{len(stuck)} order(s) were not delivered: {stuck}")
    p50, p95 = statistics.median(latencies), statistics.quantiles(latencies, n=20, method="inclusive")[18]
    print(
        f"capture latency: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms "
        f"({orders} orders, 20 at a time, at most {IN_FLIGHT} in flight)"
    )
    print(f"delivered: all {orders} after {delivered:.1f} s ({orders / delivered:,.2f} orders/s to DELIVERED)")
    print(
        f"end to end: {orders} orders captured in {captured:.1f} s ({orders / captured:,.1f}/s), "
        f"all reserved after {reserved:.1f} s ({orders / reserved:,.1f} orders/s)"
    )


IN_FLIGHT = 40
# where an order leaves the loop: delivered, or where it would stay without someone acting
LEFT = frozenset({"DELIVERED"}) | NOT_RESERVED
ENDS_WITHIN_S = 900  # after the last capture (the last IN_FLIGHT orders end in about a minute)


class _Watcher(threading.Thread):
    """Reads every order's status from the order search (pages of 200) every 2 s, and lets one more
    order be captured for each that left the loop. Reading each order on its own took a good share
    of the stack's CPU from the orders it was measuring. Ends once all `orders` have left it."""

    def __init__(self, api: str, headers: dict[str, str], sku: str, orders: int, began: float) -> None:
        super().__init__(daemon=True)
        self.room = threading.Semaphore(IN_FLIGHT)
        self.stop_reading, self.finished = threading.Event(), threading.Event()
        self.statuses: dict[str, str] = {}
        self.reserved_after: float | None = None  # s after `began` when every order was reserved
        self.ended_after: float | None = None
        self.error: BaseException | None = None
        self._api, self._headers, self._sku, self._orders, self._began = api, headers, sku, orders, began
        self._left: set[str] = set()

    def run(self) -> None:
        try:
            while not self.stop_reading.wait(2):
                self.statuses = statuses = self._read()
                at = time.perf_counter() - self._began
                left = {oid for oid, s in statuses.items() if s in LEFT}
                for _ in left - self._left:
                    self.room.release()
                self._left |= left
                everyone = len(statuses) == self._orders
                if self.reserved_after is None and everyone and all(s in REACHED | LEFT for s in statuses.values()):
                    self.reserved_after = at
                if everyone and len(self._left) == self._orders:
                    self.ended_after = at
                    return
        except BaseException as err:
            self.error = err
            raise
        finally:
            self.finished.set()

    def _read(self) -> dict[str, str]:
        statuses: dict[str, str] = {}
        cursor = None
        while True:
            params = {"sku": self._sku, "limit": "200"} | ({"cursor": cursor} if cursor else {})
            answer = requests.get(f"{self._api}/v1/orders", params=params, headers=self._headers, timeout=60)
            answer.raise_for_status()
            page = answer.json()
            statuses |= {o["order_id"]: o["status"] for o in page["orders"]}
            if not (cursor := page.get("next")):
                return statuses


def _rss_mb(pid: int | str = "self") -> float:
    """A process's resident memory now, from /proc (this one's: the stack's functions run in it)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _now() -> datetime:
    return datetime.now(UTC)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    quick = "--quick" in args
    numbers = [int(a) for a in args if a.isdigit()]
    orders = numbers[0] if numbers else (5 if quick else 100)
    reservations = 50 if quick else 300
    # the simulated warehouse and carrier at their fastest: the stack's own speed is measured
    os.environ.setdefault("WAYBILL_SIM_STEP_S", "0.02")
    with tempfile.TemporaryDirectory() as state:
        stack = EmbeddedStack(Path(state), api_port=free_port())
        info = stack.start()
        stopped = False
        try:
            admin = {"Authorization": f"Bearer {info['keys']['admin']}"}
            requests.put(f"{info['api']}/v1/nodes/bench-dc", json={"kind": "warehouse"}, headers=admin, timeout=30)
            db = boto3.client("dynamodb", endpoint_url=info["moto"], region_name=info["region"])
            inventory = DynamoDBInventory(db, info["resources"]["tables"]["inventory"])
            for workers in (1, 8):
                _adapter_reservations(inventory, reservations, workers)
            _end_to_end(info, orders)
            here, moto = _rss_mb(), _rss_mb(info["processes"]["moto"])
            began = time.perf_counter()
            stack.stop()
            stopped = True
            print(
                f"stack: {here + moto:,.0f} MB resident after the run ({here:,.0f} MB the functions' process, "
                f"{moto:,.0f} MB moto's), stopped in {time.perf_counter() - began:.1f} s"
            )
        finally:
            if not stopped:
                stack.stop()


if __name__ == "__main__":
    main()

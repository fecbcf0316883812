"""The conservation soak: a seeded workload on the embedded stack with faults, then the books must balance.

Orders of every kind (ship, split across nodes, pickup, backordered then restocked) are captured
from three channels, some twice (a replayed request), some cancelled at once or a little later,
some refused or left unanswered by their warehouse, some returned (whole, damaged, in two parcels)
once delivered. Meanwhile the functions' DynamoDB and SES calls fail at the fault rate, the carrier
fails at it too, Stripe goes down in windows, and the simulators send a share of their events
twice. When everything has settled (schedules included) the invariants are checked:

- every order is in a terminal status or has an open exception that names what a person can do;
- per PaymentIntent, refunds at Stripe equal the order's SUCCEEDED refunds and never exceed what was
  captured; what is owed for cancelled and returned units equals the refunds (settled or still
  visible as PENDING/FAILED);
- per (sku, node): on hand = initial + receipts + resellable returns - shipped; reserved = the units
  of shipments still open; available >= 0;
- one label per shipment (no tracking number twice), one email per event (no message twice).

`make soak` runs 500 orders at 10% faults; the test command runs a short version
(tests/e2e/test_conservation.py, 20 orders). Prints the invariant table; exits non-zero if any count is not 0.
"""

from __future__ import annotations

import argparse
import email
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from pathlib import Path
from typing import Any

from tests.e2e.conftest import RunningStack, start_stack, stop_stack

AUSTIN = {"lat": 30.27, "lon": -97.74}
DALLAS = {"lat": 32.78, "lon": -96.80}
TERMINAL = {"DELIVERED", "CANCELLED", "RETURNED"}
CONSUMED = {"SHIPPED", "READY_FOR_PICKUP", "IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERY_EXCEPTION", "DELIVERED"}
OPEN = {"REQUESTED", "ACCEPTED", "PICKED", "PACKED", "LABELLED"}
CHANNELS = ("web", "marketplace", "pos")
SHIPPING = 500


def soak_environment(fault_rate: float, seed: int) -> dict[str, str]:
    """The stack's settings for a soak: faults on, simulators quick, waits short, schedules often."""
    return {
        "WAYBILL_DEV_FAULT_RATE": str(fault_rate),
        "WAYBILL_DEV_FAULT_SEED": str(seed),
        "WAYBILL_DEV_CARRIER_SANDBOX_FAILURE_RATE": str(fault_rate),
        "WAYBILL_SIM_REPLAY_RATE": str(fault_rate),
        "WAYBILL_SIM_STEP_S": "0.1",
        # Stripe down 3 s in every 15
        "WAYBILL_DEV_STRIPE_DOWN_S": "3",
        "WAYBILL_DEV_STRIPE_PERIOD_S": "15",
        # the hourly sweep every ~4 s, so refunds left PENDING by an outage are finished
        "WAYBILL_DEV_SCHEDULE_SPEEDUP": "900",
    }


@dataclass
class Placed:
    order_id: str
    scenario: str
    channel: str
    intent: str
    captured: int
    lines: list[dict[str, Any]]
    done: threading.Event = field(default_factory=threading.Event)
    notes: list[str] = field(default_factory=list)


@dataclass
class Books:
    """What the driver put in: initial stock and receipts per (sku, node)."""

    stocked: Counter[tuple[str, str]] = field(default_factory=Counter)


class Soak:
    def __init__(self, stack: RunningStack, seed: int) -> None:
        import stripe

        self.stack = stack
        self.rng = random.Random(seed)
        self.stripe = stripe.StripeClient("sk_test_soak", base_addresses={"api": stack.info["localstripe"]})
        self.books = Books()
        self.placed: list[Placed] = []
        self.run = uuid.uuid4().hex[:6]
        self._lock = threading.Lock()

    # --- set-up -------------------------------------------------------------------------------

    def call(self, method: str, path: str, who: str = "web", ok: tuple[int, ...] = (200,), **kw: Any) -> Any:
        """A call the driver needs to succeed: 5xx ("safe to retry") is sent again, as a client would."""
        for attempt in range(8):
            answer = self.stack.call(method, path, who, **kw)
            if answer.status_code < 500:
                break
            time.sleep(0.5 * (attempt + 1))
        assert answer.status_code in ok, f"{method} {path}: {answer.status_code} {answer.text[:500]}"
        return answer.json() if answer.content else None

    def receive(self, node_id: str, sku: str, quantity: int) -> None:
        receipt: dict[str, Any] = {"reference": f"soak-{uuid.uuid4().hex}", "node_id": node_id, "type": "receipt"}
        receipt["lines"] = [{"sku": sku, "quantity": quantity}]
        self.call("POST", "/v1/inventory/adjustments", "admin", json=receipt)
        with self._lock:
            self.books.stocked[(sku, node_id)] += quantity

    def setup(self) -> None:
        r = self.run
        self.dc, self.far, self.store = f"soak-dc-{r}", f"soak-far-{r}", f"soak-store-{r}"
        nodes = {
            self.dc: {"kind": "warehouse", "address": AUSTIN},
            self.far: {"kind": "warehouse", "address": DALLAS},
            self.store: {"kind": "store", "address": DALLAS, "pickup": True},
        }
        for node_id, body in nodes.items():
            self.call("PUT", f"/v1/nodes/{node_id}", "admin", ok=(200, 201), json=body)
        self.common, self.near_only, self.far_only = f"SK-A-{r}", f"SK-N-{r}", f"SK-F-{r}"
        self.store_sku, self.scarce = f"SK-S-{r}", f"SK-B-{r}"
        for sku, node_id, qty in (
            (self.common, self.dc, 400),
            (self.common, self.far, 400),
            (self.near_only, self.dc, 300),
            (self.far_only, self.far, 300),
            (self.store_sku, self.store, 200),
        ):
            self.receive(node_id, sku, qty)

    # --- the workload -------------------------------------------------------------------------

    def _body(self, scenario: str, channel: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        rng = self.rng
        hints = []
        delivery: dict[str, Any] = {"method": "ship", "service_level": "standard"}
        lines: list[dict[str, Any]]
        if scenario == "split":
            lines = [
                {"sku": self.near_only, "quantity": rng.randint(1, 2), "unit_amount": 1500},
                {"sku": self.far_only, "quantity": rng.randint(1, 2), "unit_amount": 900},
            ]
        elif scenario == "pickup":
            lines = [{"sku": self.store_sku, "quantity": rng.randint(1, 2), "unit_amount": 2500}]
            delivery = {"method": "pickup", "pickup_node": self.store, "service_level": "standard"}
        elif scenario == "backorder":
            lines = [{"sku": self.scarce, "quantity": rng.randint(1, 3), "unit_amount": 1100}]
        else:
            lines = [{"sku": self.common, "quantity": rng.randint(1, 3), "unit_amount": 700}]
            if rng.random() < 0.5:
                lines.append({"sku": self.near_only, "quantity": 1, "unit_amount": 1300})
        if scenario == "return":
            hints.append(rng.choice(["", "sim:damaged", "sim:partial-return"]))
        elif scenario in ("ship", "split") and delivery["method"] == "ship":
            roll = rng.random()
            if roll < 0.1:
                hints.append(f"sim:reject@{self.dc}")
            elif roll < 0.15:
                hints.append("sim:delivery-exception")
            elif roll < 0.19:
                hints.append(f"sim:silent@{self.far}")
        shipping = 0 if delivery["method"] == "pickup" else SHIPPING
        total = sum(x["quantity"] * x["unit_amount"] for x in lines) + shipping
        body: dict[str, Any] = {
            "external_id": f"SOAK-{self.run}-{uuid.uuid4().hex[:10]}",
            "currency": "USD",
            "customer": {"email": "soak@example.com", "name": "Soak Tester"},
            "ship_to": {
                "name": "Soak Tester",
                "line1": "1 Main St",
                "line2": " ".join(h for h in hints if h) or None,
                "city": "Austin",
                "region": "TX",
                "postal_code": "73301",
                "country": "US",
                **AUSTIN,
            },
            "lines": lines,
            "shipping_amount": shipping,
            "tax_amount": 0,
            "payment": {"stripe_payment_intent": self._pay(total)},
            "delivery": delivery,
        }
        if body["ship_to"]["line2"] is None:
            del body["ship_to"]["line2"]
        return body, lines

    def _pay(self, amount: int) -> str:
        params = {"amount": amount, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
        return str(self.stripe.v1.payment_intents.create(params=params).id)  # type: ignore[arg-type]

    def place(self, scenario: str) -> Placed:
        channel = self.rng.choice(CHANNELS)
        body, lines = self._body(scenario, channel)
        replay = self.rng.random() < 0.5
        first = self.call("POST", "/v1/orders", channel, ok=(202,), json=body)
        if replay:  # the channel did not hear the answer and sends it again
            again = self.call("POST", "/v1/orders", channel, ok=(202,), json=body)
            assert again["order_id"] == first["order_id"], (first, again)
        total = sum(x["quantity"] * x["unit_amount"] for x in lines) + body["shipping_amount"]
        placed = Placed(first["order_id"], scenario, channel, body["payment"]["stripe_payment_intent"], total, lines)
        with self._lock:
            self.placed.append(placed)
        return placed

    def order(self, placed: Placed) -> dict[str, Any]:
        return dict(self.call("GET", f"/v1/orders/{placed.order_id}", "ops"))

    def wait(self, placed: Placed, done: Callable[[dict[str, Any]], bool], timeout_s: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            order = self.order(placed)
            if done(order) or time.monotonic() > deadline:
                return order
            time.sleep(0.5)

    def cancel(self, placed: Placed) -> None:
        path = f"/v1/orders/{placed.order_id}/cancel"
        for _ in range(1 + (self.rng.random() < 0.5)):  # sometimes asked twice
            answer = self.call("POST", path, placed.channel, ok=(202, 409), json={"reason": "soak"})
            placed.notes.append(f"cancel: {answer.get('error', {}).get('code', 'accepted') if answer else ''}")

    def script(self, placed: Placed, delay_s: float) -> None:
        """What happens to one order after it is captured."""
        try:
            if placed.scenario == "cancel_now":
                self.cancel(placed)
            elif placed.scenario == "cancel_later":
                time.sleep(delay_s)
                self.cancel(placed)
            elif placed.scenario == "return":
                order = self.wait(placed, lambda o: o["status"] in ("DELIVERED", "EXCEPTION"), 120)
                if order["status"] == "DELIVERED":
                    lines = [{"line_id": x["line_id"], "quantity": x["quantity"]} for x in order["lines"]]
                    if self.rng.random() < 0.4:
                        lines = lines[:1]
                    ret = {"lines": lines, "reason": "soak"}
                    for _ in range(1 + (self.rng.random() < 0.5)):
                        self.call(
                            "POST", f"/v1/orders/{placed.order_id}/returns", placed.channel, ok=(202, 409), json=ret
                        )
        finally:
            placed.done.set()

    def drive(self, orders: int, rate_per_s: float) -> None:
        scenarios = (
            ["ship"] * 35
            + ["split"] * 12
            + ["pickup"] * 10
            + ["backorder"] * 8
            + ["cancel_now"] * 10
            + ["cancel_later"] * 8
            + ["return"] * 17
        )
        with ThreadPoolExecutor(max_workers=8) as pool:
            for i in range(orders):
                scenario = self.rng.choice(scenarios)
                body_kind = "ship" if scenario in ("cancel_now", "cancel_later") else scenario
                placed = self.place(body_kind)
                placed.scenario = scenario
                pool.submit(self.script, placed, self.rng.uniform(0.5, 4.0))
                if i == orders // 2:  # the backordered SKU arrives half way through
                    self.receive(self.far, self.scarce, 2 * orders)
                time.sleep(1 / rate_per_s)
        self.receive(self.far, self.scarce, 5)

    # --- settling and checking ----------------------------------------------------------------

    def settled(self, order: dict[str, Any]) -> bool:
        if any(r["status"] == "PENDING" for r in order["refunds"]):
            return False
        if order["status"] in TERMINAL:
            return all(r["status"] in ("REFUNDED", "CLOSED") for r in order["returns"]) or order["status"] == "RETURNED"
        return any(e["resolved_at"] is None and e["actions"] for e in order["exceptions"])

    def quiesce(self, timeout_s: float) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout_s
        pending = list(self.placed)
        views: dict[str, dict[str, Any]] = {}
        while pending and time.monotonic() < deadline:
            still = []
            for placed in pending:
                view = self.order(placed)
                views[placed.order_id] = view
                if not (placed.done.is_set() and self.settled(view)):
                    still.append(placed)
            pending = still
            if pending:
                time.sleep(1)
        for placed in pending:
            views[placed.order_id] = self.order(placed)
        return [views[p.order_id] for p in self.placed]

    def check(self, views: list[dict[str, Any]]) -> dict[str, Any]:
        by_id = {p.order_id: p for p in self.placed}
        table: dict[str, Any] = {"orders": len(views), "by_status": Counter(v["status"] for v in views)}
        table["exceptions"] = Counter(e["type"] for v in views for e in v["exceptions"] if e["resolved_at"] is None)
        left = {s["shipment_id"] for v in views for s in v["shipments"] if s["status"] in CONSUMED}
        folder = Path(self.stack.info["documents"]) / "labels"
        bought = {p.stem for p in folder.glob("*.pdf")} if folder.exists() else set()
        # shipment labels (…-S1), not return labels (…-R1)
        table["labels_unused"] = sorted(
            sid for sid in bought if sid.rsplit("-", 1)[-1].startswith("S") and sid not in left
        )
        stuck = [v["order_id"] for v in views if not self.settled(v)]
        money = self._money(views, by_id)
        stock = self._stock(views)
        labels, mails = self._duplicates(views)
        table.update(
            {
                "not_settled": stuck,
                "money": money,
                "stock_drift": stock,
                "labels_twice": labels,
                "emails_twice": mails,
            }
        )
        return table

    def _money(self, views: list[dict[str, Any]], by_id: dict[str, Placed]) -> dict[str, Any]:
        totals: Counter[str] = Counter()
        problems: list[str] = []
        for v in views:
            placed = by_id[v["order_id"]]
            intent = self.stripe.v1.payment_intents.retrieve(placed.intent)
            # localstripe omits amount_received; a succeeded intent received its amount
            fields = intent.to_dict()
            captured = int(fields.get("amount_received", intent.amount if intent.status == "succeeded" else 0))
            refunds = self.stripe.v1.refunds.list(params={"payment_intent": placed.intent}).data
            at_stripe = sum(int(r.amount) for r in refunds if r.status == "succeeded")
            due = owed(v)
            ledger = Counter[str]()
            for r in v["refunds"]:
                ledger[r["status"]] += r["amount"]
            totals.update({"owed": due, "refunded": ledger["SUCCEEDED"], "pending": ledger["PENDING"]})
            totals["failed"] += ledger["FAILED"]
            problems.extend(f"{p} ({placed.scenario})" for p in money_problems(v, captured, at_stripe))
        return {**{k: totals[k] for k in ("owed", "refunded", "pending", "failed")}, "problems": problems}

    def _stock(self, views: list[dict[str, Any]]) -> list[str]:
        levels = {sku: self.call("GET", f"/v1/inventory/{sku}", "ops")["nodes"] for sku, _ in self.books.stocked}
        return stock_drift(views, self.books.stocked, levels)

    def _duplicates(self, views: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
        refs = {v["external_id"] for v in views}
        messages = []
        for path in Path(self.stack.info["outbox"]).glob("*.eml"):
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            body = message.get_body(("plain",))
            text = str(body.get_content()) if body is not None else ""
            if any(ref in text or ref in str(message["Subject"]) for ref in refs):
                messages.append((str(message["To"]), str(message["Subject"]), text))
        return labels_twice(views), sent_twice(messages)


# --- the invariants, as functions of what the API and the outbox show -------------------------


def owed(view: dict[str, Any]) -> int:
    """What the customer is owed back: cancelled units, units received back, and the shipping
    once nothing of the order is kept (tax is 0 in the soak's orders)."""
    price = {x["line_id"]: x["unit_amount"] for x in view["lines"]}
    cancelled = Counter[str]()
    for x in (view["cancellation"] or {}).get("lines", []):
        cancelled[x["line_id"]] += x["quantity"]
    returned = Counter[str]()
    for rma in view["returns"]:
        for line in rma["lines"]:
            returned[line["line_id"]] += line["resellable"] + line["damaged"]
    due = sum(price[lid] * n for lid, n in (cancelled + returned).items())
    consumed = sum(x["quantity"] for s in view["shipments"] if s["status"] in CONSUMED for x in s["lines"])
    if due and consumed == sum(returned.values()):
        due += view["totals"]["shipping"]
    return int(due)


def money_problems(view: dict[str, Any], captured: int, at_stripe: int) -> list[str]:
    ledger = Counter[str]()
    for r in view["refunds"]:
        ledger[r["status"]] += r["amount"]
    oid, problems = view["order_id"], []
    if at_stripe != ledger["SUCCEEDED"]:
        problems.append(f"{oid}: Stripe refunded {at_stripe}, the ledger's SUCCEEDED say {ledger['SUCCEEDED']}")
    if at_stripe > captured:
        problems.append(f"{oid}: refunded {at_stripe} of {captured} captured")
    due = owed(view)
    if due != sum(ledger.values()):
        problems.append(f"{oid}: owed {due}, the ledger holds {dict(ledger)}")
    return problems


def stock_drift(
    views: list[dict[str, Any]], stocked: Counter[tuple[str, str]], levels: dict[str, list[dict[str, Any]]]
) -> list[str]:
    """on hand = stocked + resellable returns - shipped; reserved = open shipments; available >= 0."""
    shipped: Counter[tuple[str, str]] = Counter()
    reserved: Counter[tuple[str, str]] = Counter()
    back: Counter[tuple[str, str]] = Counter()
    for v in views:
        for s in v["shipments"]:
            for x in s["lines"]:
                pair = (x["sku"], s["node_id"])
                if s["status"] in CONSUMED:
                    shipped[pair] += x["quantity"]
                elif s["status"] in OPEN:
                    reserved[pair] += x["quantity"]
        for r in v["returns"]:
            for line in r["lines"]:
                back[(line["sku"], r["node_id"])] += line["resellable"]
    drift = []
    for sku, nodes in sorted(levels.items()):
        for level in nodes:
            pair = (sku, level["node_id"])
            want = stocked[pair] + back[pair] - shipped[pair]
            if level["on_hand"] != want:
                drift.append(f"{pair}: on hand {level['on_hand']}, the books say {want}")
            if level["reserved"] != reserved[pair]:
                drift.append(f"{pair}: reserved {level['reserved']}, open shipments hold {reserved[pair]}")
            if level["available"] < 0:
                drift.append(f"{pair}: available {level['available']}")
    return drift


def labels_twice(views: list[dict[str, Any]]) -> list[str]:
    numbers = Counter(s["label"]["tracking_number"] for v in views for s in v["shipments"] if s.get("label"))
    return [n for n, count in numbers.items() if count > 1]


def sent_twice(messages: list[tuple[str, str, str]]) -> list[str]:
    """(to, subject, text): every email names what it is about (its order, shipment, refund)."""
    return [subject for (_, subject, _), count in Counter(messages).items() if count > 1]


def failures(table: dict[str, Any], faults: dict[str, Any]) -> int:
    money = table["money"]
    return (
        int(faults.get("events applied twice", 0))
        + len(table["not_settled"])
        + len(money["problems"])
        + len(table["stock_drift"])
        + len(table["labels_twice"])
        + len(table["emails_twice"])
    )


def render(table: dict[str, Any], seconds: float, faults: dict[str, Any]) -> str:
    money = table["money"]
    rows = [
        ("orders", table["orders"]),
        *((f"  {status}", n) for status, n in sorted(table["by_status"].items())),
        *((f"  open exception {kind}", n) for kind, n in sorted(table["exceptions"].items())),
        ("not settled (no terminal status, no actionable exception)", len(table["not_settled"])),
        ("money owed for cancelled/returned units", money["owed"]),
        ("  refunded (SUCCEEDED)", money["refunded"]),
        ("  still PENDING", money["pending"]),
        ("  FAILED (visible to finance/ops)", money["failed"]),
        ("money mismatches (Stripe vs ledger vs owed)", len(money["problems"])),
        ("stock drift (sku-node)", len(table["stock_drift"])),
        ("labels bought twice", len(table["labels_twice"])),
        ("emails sent twice", len(table["emails_twice"])),
        ("labels bought for shipments that never left (not counted)", len(table["labels_unused"])),
        ("faults injected", ", ".join(f"{k} {v}" for k, v in sorted(faults.items())) or "none"),
        ("seconds", round(seconds, 1)),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"{name:<{width}}  {value}" for name, value in rows]
    for detail in (
        table["not_settled"],
        money["problems"],
        table["stock_drift"],
        table["labels_twice"],
        table["emails_twice"],
    ):
        lines.extend(f"  ! {d}" for d in detail[:20])
    return "\n".join(lines)


def soak(
    stack: RunningStack, orders: int, seed: int, rate_per_s: float, settle_s: float
) -> tuple[dict[str, Any], float]:
    began = time.monotonic()
    driver = Soak(stack, seed)
    driver.setup()
    driver.drive(orders, rate_per_s)
    views = driver.quiesce(settle_s)
    return driver.check(views), time.monotonic() - began


def injected(stack: RunningStack) -> dict[str, Any]:
    """What the stack injected (it writes faults.json when it stops) and replays applied twice."""
    path = stack.state_dir / "faults.json"
    counts: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    log = stack.state_dir.parent / f"{stack.state_dir.name}-dev.log"
    if log.exists():
        counts["events applied twice"] = log.read_text(errors="replace").count("was applied again")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--fault-rate", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rate", type=float, default=2.0, help="orders captured per second")
    parser.add_argument("--settle", type=float, default=600, help="seconds to wait for every order to settle")
    args = parser.parse_args(argv)
    state = Path(tempfile.mkdtemp(prefix="waybill-soak-")) / "state"
    state.parent.mkdir(parents=True, exist_ok=True)
    print(f"soak: {args.orders} orders at {args.fault_rate:.0%} faults, seed {args.seed}; stack log {state.parent}")
    stack = start_stack(state, soak_environment(args.fault_rate, args.seed))
    try:
        table, seconds = soak(stack, args.orders, args.seed, args.rate, args.settle)
        # the table first: a stack slow to stop must not lose it (the faults come with the stop)
        (state.parent / "table.json").write_text(json.dumps(table, indent=2, default=str))
    finally:
        try:
            stop_stack(stack, timeout_s=300)
        except subprocess.TimeoutExpired:
            stack.proc.kill()
            print("the stack did not stop within 300 s: killed (its faults.json is missing)")
    faults = injected(stack)
    print(render(table, seconds, faults))
    print(f"at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    return 1 if failures(table, faults) else 0


if __name__ == "__main__":
    sys.exit(main())

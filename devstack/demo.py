"""Waybill's main job on the embedded stack: a merchant's nodes and stock are loaded, orders from
several channels arrive over HTTP and the batch queue, each is payment-checked, confirmed by email,
routed to the best node and reserved; a backordered order is filled when stock arrives. The
simulated warehouses pick and pack, the sandbox carrier sells labels and delivers, and every order
that can be fulfilled reaches DELIVERED: a split shipment and a store pickup among them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import requests
import stripe

from devstack import demo_analytics, demo_money
from devstack.stack import EmbeddedStack, PortInUse, StateDirInUse, free_port

SETTLED = {"ON_HOLD", "EXCEPTION", "CANCELLED"}
FINAL = SETTLED | {"DELIVERED"}

NODES = {
    "dc-east": {
        "kind": "warehouse",
        "name": "Newark DC",
        "address": {
            "line1": "400 Doremus Ave",
            "line2": "Dock 4",
            "city": "Newark",
            "region": "NJ",
            "postal_code": "07105",
            "country": "US",
            "lat": 40.73,
            "lon": -74.17,
        },
        "handling_cost": 150,
    },
    "dc-west": {
        "kind": "warehouse",
        "name": "Reno DC",
        "address": {
            "line1": "1255 Greg St",
            "city": "Sparks",
            "region": "NV",
            "postal_code": "89431",
            "country": "US",
            "lat": 39.53,
            "lon": -119.81,
        },
        "handling_cost": 120,
    },
    "store-dc": {
        "kind": "store",
        "name": "Washington store",
        "address": {
            "line1": "1300 Connecticut Ave NW",
            "city": "Washington",
            "region": "DC",
            "postal_code": "20036",
            "country": "US",
            "lat": 38.90,
            "lon": -77.04,
        },
        "pickup": True,
        "handling_cost": 300,
        "daily_capacity": 50,
    },
}
STOCK = {
    "dc-east": [("TSHIRT-BLK-M", 40, 2), ("MUG-LOGO", 20, 0)],
    "dc-west": [("TSHIRT-BLK-M", 25, 2), ("MUG-LOGO", 3, 0)],
    "store-dc": [("HOODIE-GRY-L", 4, 0), ("TSHIRT-BLK-M", 6, 1)],
}


# What customers see in emails and on packing slips instead of the SKU.
PRODUCTS = {
    "TSHIRT-BLK-M": "Black T-shirt, medium",
    "MUG-LOGO": "Logo mug",
    "HOODIE-GRY-L": "Grey hoodie, large",
    "POSTER-LTD": "Limited-edition poster",
}


def _line(sku: str, quantity: int, unit_amount: int) -> dict[str, Any]:
    return {"sku": sku, "quantity": quantity, "unit_amount": unit_amount, "name": PRODUCTS[sku]}


def _address(name: str, city: str, region: str, postal: str, lat: float, lon: float) -> dict[str, Any]:
    return {
        "name": name,
        "line1": "1 Demo Street",
        "city": city,
        "region": region,
        "postal_code": postal,
        "country": "US",
        "lat": lat,
        "lon": lon,
    }


def demo_orders(intent: Any) -> list[tuple[str, dict[str, Any]]]:
    """(channel, body) for each demo order; `intent(amount)` creates a Stripe PaymentIntent."""
    return [
        (
            "web",
            {
                "external_id": "WEB-1001",
                "currency": "USD",
                "customer": {"email": "ada@example.com", "name": "Ada Lovelace"},
                "ship_to": _address("Ada Lovelace", "Philadelphia", "PA", "19103", 39.95, -75.17),
                "lines": [
                    _line("TSHIRT-BLK-M", 2, 1900),
                    _line("MUG-LOGO", 1, 1200),
                ],
                "shipping_amount": 499,
                "tax_amount": 411,
                "payment": {"stripe_payment_intent": intent(1900 * 2 + 1200 + 499 + 411)},
                "delivery": {"method": "ship", "service_level": "express"},
            },
        ),
        (
            "web",
            {
                "external_id": "WEB-1002",
                "currency": "USD",
                "customer": {"email": "linus@example.com", "name": "Linus Pauling"},
                "ship_to": _address("Linus Pauling", "Sacramento", "CA", "95814", 38.58, -121.49),
                "lines": [_line("MUG-LOGO", 4, 1200)],
                "payment": {"stripe_payment_intent": intent(4800)},
            },
        ),
        (
            "pos",
            {
                "external_id": "POS-77-0042",
                "currency": "USD",
                "customer": {"email": "grace@example.com", "name": "Grace Hopper", "phone": "+1 555 0100"},
                "lines": [_line("HOODIE-GRY-L", 1, 5900)],
                "payment": {"stripe_payment_intent": intent(5900, capture=False)},
                "delivery": {"method": "pickup", "pickup_node": "store-dc", "service_level": "standard"},
            },
        ),
        (
            "web",
            {
                "external_id": "WEB-1004",
                "currency": "USD",
                "customer": {"email": "katherine@example.com", "name": "Katherine Johnson"},
                "ship_to": _address("Katherine Johnson", "Baltimore", "MD", "21201", 39.29, -76.61),
                # only the store has hoodies and it has no mugs: two shipments
                "lines": [
                    _line("HOODIE-GRY-L", 1, 5900),
                    _line("MUG-LOGO", 2, 1200),
                ],
                "payment": {"stripe_payment_intent": intent(5900 + 2400)},
            },
        ),
        (
            "marketplace",
            {
                "external_id": "MKT-A-90017",
                "currency": "USD",
                "customer": {"email": "alan@example.com", "name": "Alan Turing"},
                "ship_to": _address("Alan Turing", "Seattle", "WA", "98101", 47.61, -122.33),
                "lines": [_line("TSHIRT-BLK-M", 3, 1900)],
                # paid less than the order total: the payment check puts it on hold
                "payment": {"stripe_payment_intent": intent(3000)},
            },
        ),
        (
            "web",
            {
                "external_id": "WEB-1003",
                "currency": "USD",
                "customer": {"email": "rosalind@example.com", "name": "Rosalind Franklin"},
                "ship_to": _address("Rosalind Franklin", "Boston", "MA", "02108", 42.36, -71.06),
                "lines": [_line("POSTER-LTD", 1, 2500)],
                "payment": {"stripe_payment_intent": intent(2500)},
            },
        ),
    ]


def run_demo(state_dir: Path, port: int, stay: Callable[[], bool] | None = None) -> int:
    """Runs the demo and stops the stack; with `stay`, the stack (and the demo's orders, the held
    one in the exception queue among them) stays up for the console until `stay()` says stop."""
    began = time.perf_counter()
    stack, info = _start_beside_others(state_dir, port)
    print(f"embedded stack up in {info['startup_s']} s: API {info['api']}, outbox {info['outbox']}")
    print(f"console {info['console']} (ops key: .keys.ops in {stack.dev_json})")
    try:
        status = _drive(stack, info, began)
        if stay is not None:
            print(
                f"\nthe stack stays up with the demo's orders: {info['console']}; Ctrl-C or SIGTERM stops it",
                flush=True,
            )
            while not stay():
                time.sleep(0.2)
        return status
    finally:
        stack.stop()
        print(f"stack stopped; whole demo took {time.perf_counter() - began:.1f} s")


def _start_beside_others(state_dir: Path, port: int) -> tuple[EmbeddedStack, dict[str, Any]]:
    """The demo's own stack, leaving alone one already running from this checkout (`make dev`):
    beside it, the demo keeps its files in a folder of its own and takes a free port."""
    for folder in (state_dir, *(state_dir / f"demo-{n}" for n in range(1, 6))):
        try:
            return _start_on_a_free_port(folder, port)
        except StateDirInUse as busy:
            print(f"{busy}\n  so this demo keeps its files in a folder of its own")
    raise StateDirInUse(state_dir)


def _start_on_a_free_port(folder: Path, port: int) -> tuple[EmbeddedStack, dict[str, Any]]:
    try:
        stack = EmbeddedStack(folder, api_port=port)
        return stack, stack.start()
    except PortInUse:
        stack = EmbeddedStack(folder, api_port=free_port())
        print(f"port {port} is busy; using {stack.api_port} instead")
        return stack, stack.start()


def _drive(stack: EmbeddedStack, info: dict[str, Any], began: float) -> int:
    api, keys = info["api"], info["keys"]
    payments = stripe.StripeClient("sk_test_demo", base_addresses={"api": info["localstripe"]})

    def intent(amount: int, capture: bool = True) -> str:
        pi = payments.v1.payment_intents.create(
            params={
                "amount": amount,
                "currency": "usd",
                "payment_method": "pm_card_visa",
                "confirm": True,
                "capture_method": "automatic" if capture else "manual",
            }
        )
        return str(pi.id)

    def call(method: str, path: str, who: str, body: Any = None) -> requests.Response:
        key = keys["channels"][who] if who in keys["channels"] else keys[who]
        return requests.request(method, api + path, json=body, headers={"Authorization": f"Bearer {key}"}, timeout=30)

    _load_catalogue(call)
    bodies = demo_orders(intent)
    captured: list[tuple[str, str]] = []
    for channel, body in bodies:
        answer = call("POST", "/v1/orders", channel, body)
        print(
            f"POST /v1/orders ({channel:11}) {body['external_id']:12} -> {answer.status_code} "
            f"{answer.headers.get('Location')}"
        )
        captured.append((channel, answer.json()["order_id"]))
    channel, first = bodies[0]
    replay = call("POST", "/v1/orders", channel, first)
    print(
        f"POST /v1/orders ({channel:11}) {first['external_id']:12} again -> {replay.status_code} "
        f"Idempotent-Replayed: {replay.headers.get('Idempotent-Replayed')}"
    )
    bad = call(
        "POST",
        "/v1/orders",
        "web",
        {**first, "external_id": "WEB-1099", "lines": [{"sku": "MUG-LOGO", "quantity": 0, "unit_amount": -5}]},
    )
    print(f"POST /v1/orders (web        ) invalid body  -> {bad.status_code} {bad.json()['error']['details']}")

    # A batch channel drops its order on the intake queue instead of calling the API.
    sqs = boto3.client("sqs", endpoint_url=info["moto"], region_name=info["region"])
    batch = {
        **first,
        "external_id": "B2B-PO-5521",
        "channel": "b2b",
        "lines": [_line("TSHIRT-BLK-M", 12, 1500)],
        "shipping_amount": 0,
        "tax_amount": 0,
        "payment": {"stripe_payment_intent": intent(18000)},
    }
    sqs.send_message(QueueUrl=info["resources"]["queues"]["intake"], MessageBody=json.dumps(batch))
    print("intake queue   (b2b        ) B2B-PO-5521  -> queued")

    orders = _wait(call, captured, stack, 90, lambda o: o["routing"] is not None or o["status"] in FINAL)
    backordered = next((o for o in orders if o["status"] == "BACKORDERED"), None)
    if backordered is not None:
        receipt = {
            "reference": "GRN-DEMO-1",
            "node_id": "dc-east",
            "type": "receipt",
            "lines": [{"sku": "POSTER-LTD", "quantity": 5}],
        }
        call("POST", "/v1/inventory/adjustments", "admin", receipt)
        print(f"\nreceived 5 x POSTER-LTD at dc-east: backordered {backordered['external_id']} is re-evaluated")
    orders = _wait(call, captured, stack, 180, lambda o: o["status"] in FINAL)
    delivered = sum(o["status"] == "DELIVERED" for o in orders)
    print(f"\n{delivered} of {len(orders)} orders DELIVERED {time.perf_counter() - began:.1f} s after start")

    _show(orders)
    tshirts = call("GET", "/v1/inventory/TSHIRT-BLK-M", "ops").json()
    print(
        f"\nTSHIRT-BLK-M available to promise: {tshirts['total']['available']} "
        + ", ".join(f"{n['node_id']} {n['available']} (+{n['reserved']} reserved)" for n in tshirts["nodes"])
    )
    suggestions = call("GET", "/v1/reorder-suggestions", "ops").json()["suggestions"]
    for s in suggestions:
        print(
            f"reorder suggestion: {s['quantity']} x {s['sku']} for {s['node_id']} (available {s['available']}, "
            f"reorder point {s['reorder_point']})"
        )
    # Money going back: a cancellation and a return, then the day's reconciliation with Stripe.
    cancel_body = {
        **first,
        "external_id": "WEB-1005",
        "ship_to": {**first["ship_to"], "line2": "sim:silent"},  # its warehouse never gets to it
        "payment": {"stripe_payment_intent": intent(1900 * 2 + 1200 + 499 + 411)},
    }
    cancelled = demo_money.cancel_one(call, cancel_body)
    returned = demo_money.return_one(call, "web", next(o for o in orders if o["external_id"] == "WEB-1001"))
    reconciliation = demo_money.reconcile_today(call)

    stack.flush_mirrors()
    mails = sorted(Path(info["outbox"]).glob("*.html"))
    print(f"\n{len(mails)} customer emails in {info['outbox']} (open the .html files or the .eml files)")
    print(f"labels (4x6 PDF), pick lists and packing slips in {info['documents']}")
    demo_analytics.headline(call, delivered)
    queued = _show_exception_queue(call)
    money_ok = cancelled["status"] == "CANCELLED" and all(r["status"] == "SUCCEEDED" for r in returned["refunds"])
    fulfilled = all(o["status"] != "EXCEPTION" for o in orders) and delivered >= 5
    matched = reconciliation["summary"]["matched"]["count"] >= 2
    return 0 if fulfilled and money_ok and matched and queued >= 1 else 1


def _show_exception_queue(call: Any) -> int:
    """What operations would see first in the console: the orders waiting for a person."""
    page = call("GET", "/v1/ops/exceptions", "ops").json()
    rows = page["exceptions"]
    print(f"\nexception queue (GET /v1/ops/exceptions, ops key): {len(rows)} order(s) for a person")
    for row in rows:
        print(f"  {row['type']:18} {row['external_id']:12} {row['reason']}  actions: {', '.join(row['actions'])}")
    if rows:
        print("  `waybill demo --stay` keeps the stack up after the demo, to act on them in the console")
    return len(rows)


def _load_catalogue(call: Any) -> None:
    for node_id, body in NODES.items():
        call("PUT", f"/v1/nodes/{node_id}", "admin", body).raise_for_status()
    for node_id, lines in STOCK.items():
        receipt = {
            "reference": f"GRN-OPENING-{node_id}",
            "node_id": node_id,
            "type": "receipt",
            "lines": [
                {"sku": sku, "quantity": qty, "safety_stock": safety, "reorder_point": 10} for sku, qty, safety in lines
            ],
        }
        call("POST", "/v1/inventory/adjustments", "admin", receipt).raise_for_status()
    call("PUT", "/v1/policies/pos", "admin", {"priority": 10, "allow_split": False}).raise_for_status()
    call("PUT", "/v1/policies/marketplace", "admin", {"strategy": "distance"}).raise_for_status()
    units = sum(q for lines in STOCK.values() for _, q, _ in lines)
    print(f"loaded {len(NODES)} nodes and {units} units of stock; pos orders have allocation priority")


def _show(orders: list[dict[str, Any]]) -> None:
    print(f"\n{'channel':12} {'external id':13} {'status':12} {'payment':9} ships from / why")
    for order in orders:
        routing = order.get("routing") or {}
        nodes = ", ".join(dict.fromkeys(a["node_id"] for a in routing.get("allocations", []))) or "-"
        why = order["payment"]["hold_reason"] or order["exception_cause"] or routing.get("reason") or ""
        status, check = order["status"], order["payment"]["check"]
        print(f"{order['channel']:12} {order['external_id']:13} {status:12} {check:9} {nodes}")
        if why:
            print(f"{'':12} {why}")
        for s in order["shipments"]:
            label = s["label"]
            how = f"{label['service']:9} {label['tracking_number']}" if label else "pickup at the store"
            print(f"{'':12} {s['shipment_id']:22} {s['node_id']:9} {s['status']:17} {how}")


def _wait(
    call: Any,
    captured: list[tuple[str, str]],
    stack: EmbeddedStack,
    timeout_s: float,
    settled: Callable[[dict[str, Any]], bool],
) -> list[dict[str, Any]]:
    """Polls until the intake order has arrived and every order is settled."""
    deadline = time.monotonic() + timeout_s
    while True:
        orders = [call("GET", f"/v1/orders/{oid}", channel).json() for channel, oid in captured]
        found = _find_intake_order(stack)
        everyone = [*orders, found] if found is not None else orders
        if found is not None and all(settled(o) for o in everyone):
            return everyone
        if time.monotonic() > deadline:
            print("timed out waiting for orders to settle")
            return everyone
        time.sleep(0.3)


def _find_intake_order(stack: EmbeddedStack) -> dict[str, Any] | None:
    from shared.adapters.dynamodb_orders import DynamoDBOrders
    from shared.schemas.order_view import OrderView

    orders = DynamoDBOrders(boto3.client("dynamodb"), stack.resources.tables["orders"])
    record = orders.find_capture("b2b", "B2B-PO-5521")
    order = orders.get(record.order_id) if record else None
    return OrderView.of(order).model_dump(mode="json") if order else None

"""Waybill's main job on the embedded stack: orders from several channels captured over HTTP and
the batch queue, checked against Stripe, confirmed by email, shown with where each one is."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import boto3
import requests
import stripe

from devstack.stack import EmbeddedStack, free_port

SETTLED = {"ON_HOLD", "EXCEPTION", "CANCELLED"}


def _address(name: str, city: str, region: str, postal: str) -> dict[str, Any]:
    return {
        "name": name,
        "line1": "1 Demo Street",
        "city": city,
        "region": region,
        "postal_code": postal,
        "country": "US",
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
                "ship_to": _address("Ada Lovelace", "Austin", "TX", "73301"),
                "lines": [
                    {"sku": "TSHIRT-BLK-M", "quantity": 2, "unit_amount": 1900},
                    {"sku": "MUG-LOGO", "quantity": 1, "unit_amount": 1200},
                ],
                "shipping_amount": 499,
                "tax_amount": 411,
                "payment": {"stripe_payment_intent": intent(1900 * 2 + 1200 + 499 + 411)},
                "delivery": {"method": "ship", "service_level": "express"},
            },
        ),
        (
            "pos",
            {
                "external_id": "POS-77-0042",
                "currency": "USD",
                "customer": {"email": "grace@example.com", "name": "Grace Hopper", "phone": "+1 555 0100"},
                "ship_to": _address("Grace Hopper", "Arlington", "VA", "22201"),
                "lines": [{"sku": "HOODIE-GRY-L", "quantity": 1, "unit_amount": 5900}],
                "payment": {"stripe_payment_intent": intent(5900, capture=False)},
                "delivery": {"method": "pickup", "pickup_node": "store-dc", "service_level": "standard"},
            },
        ),
        (
            "marketplace",
            {
                "external_id": "MKT-A-90017",
                "currency": "USD",
                "customer": {"email": "alan@example.com", "name": "Alan Turing"},
                "ship_to": _address("Alan Turing", "Seattle", "WA", "98101"),
                "lines": [{"sku": "TSHIRT-BLK-M", "quantity": 3, "unit_amount": 1900}],
                "shipping_amount": 0,
                # paid less than the order total: the payment check puts it on hold
                "payment": {"stripe_payment_intent": intent(3000)},
            },
        ),
    ]


def run_demo(state_dir: Path, port: int) -> int:
    began = time.perf_counter()
    try:
        stack = EmbeddedStack(state_dir, api_port=port)
        info = stack.start()
    except OSError:
        port = free_port()
        print(f"port is busy; using {port} instead")
        stack = EmbeddedStack(state_dir, api_port=port)
        info = stack.start()
    print(f"embedded stack up in {info['startup_s']} s: API {info['api']}, outbox {info['outbox']}")
    try:
        return _drive(stack, info, began)
    finally:
        stack.stop()
        print(f"stack stopped; whole demo took {time.perf_counter() - began:.1f} s")


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

    def call(method: str, path: str, channel: str, body: Any = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {keys['channels'][channel]}"}
        return requests.request(method, api + path, json=body, headers=headers, timeout=30)

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
        {
            **first,
            "external_id": "WEB-1002",
            "lines": [{"sku": "MUG-LOGO", "quantity": 0, "unit_amount": -5}],
        },
    )
    print(f"POST /v1/orders (web        ) invalid body  -> {bad.status_code} {bad.json()['error']['details']}")

    # A batch channel drops its order on the intake queue instead of calling the API.
    sqs = boto3.client("sqs", endpoint_url=info["moto"], region_name=info["region"])
    batch = {**first, "external_id": "B2B-PO-5521", "channel": "b2b"}
    sqs.send_message(QueueUrl=info["resources"]["queues"]["intake"], MessageBody=json.dumps(batch))
    print("intake queue   (b2b        ) B2B-PO-5521  -> queued")

    orders = _wait(call, captured, stack, timeout_s=60)
    print()
    print(f"{'channel':12} {'external id':13} {'order id':31} {'status':10} {'payment':9} {'email':6} execution")
    for order in orders:
        print(
            f"{order['channel']:12} {order['external_id']:13} {order['order_id']:31} {order['status']:10} "
            f"{order['payment']['check']:9} {'sent' if order['confirmation_sent'] else '-':6} "
            f"{order['executions'][0]['arn'].rsplit(':', 2)[-2]}"
        )
        if order["payment"]["hold_reason"]:
            print(f"{'':12} on hold: {order['payment']['hold_reason']}")
    stack.outbox.flush()
    mails = sorted(Path(info["outbox"]).glob("*.html"))
    print(f"\n{len(mails)} customer emails in {info['outbox']} (open the .html files or the .eml files)")
    print(f"orders settled {time.perf_counter() - began:.1f} s after start")
    return 0 if all(o["status"] not in {"EXCEPTION"} for o in orders) else 1


def _wait(call: Any, captured: list[tuple[str, str]], stack: EmbeddedStack, timeout_s: float) -> list[dict[str, Any]]:
    """Polls until every order is confirmed or held, and the intake order has arrived."""
    deadline = time.monotonic() + timeout_s
    while True:
        orders = [call("GET", f"/v1/orders/{oid}", channel).json() for channel, oid in captured]
        found = _find_intake_order(stack)
        done = all(o["confirmation_sent"] or o["status"] in SETTLED for o in orders)
        if found is not None and (found["confirmation_sent"] or found["status"] in SETTLED) and done:
            return [*orders, found]
        if time.monotonic() > deadline:
            print("timed out waiting for orders to settle")
            return orders + ([found] if found else [])
        time.sleep(0.3)


def _find_intake_order(stack: EmbeddedStack) -> dict[str, Any] | None:
    from shared.adapters.dynamodb_orders import DynamoDBOrders
    from shared.schemas.order_view import OrderView

    orders = DynamoDBOrders(boto3.client("dynamodb"), stack.resources.tables["orders"])
    record = orders.find_capture("b2b", "B2B-PO-5521")
    order = orders.get(record.order_id) if record else None
    return OrderView.of(order).model_dump(mode="json") if order else None

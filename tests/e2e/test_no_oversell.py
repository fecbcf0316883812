"""Hundreds of concurrent orders for a scarce sku, through the HTTP API and the real state machine:
exactly the units in stock are reserved, every other order is backordered, and the books balance."""

import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.unit.builders import capture_body

# one worker runs every quiet-stack module, so one quiet stack starts, not one per worker
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("quiet")]


@pytest.fixture
def stack(quiet_stack):
    """Warehouses stay silent here, so reserved stock stays reserved while the test looks at it."""
    return quiet_stack


@pytest.fixture
def pay(quiet_pay):
    return quiet_pay


# Four orders for every unit, all at once. 200 for 50 took 165-230 s of the test command, and at
# 120 the embedded stack's one-at-a-time DynamoDB queued function calls past botocore's 60 s read
# timeout on a loaded machine (an emulator limit, not Waybill's).
ORDERS = 80
STOCK = 20


def test_concurrent_orders_never_oversell(stack, pay):
    sku, node = f"HOT-{uuid.uuid4().hex[:8]}", f"hot-{uuid.uuid4().hex[:6]}"
    assert stack.call("PUT", f"/v1/nodes/{node}", "admin", json={"kind": "warehouse"}).status_code == 201
    receipt = {
        "reference": f"r-{sku}",
        "node_id": node,
        "type": "receipt",
        "lines": [{"sku": sku, "quantity": STOCK}],
    }
    assert stack.call("POST", "/v1/inventory/adjustments", "admin", json=receipt).status_code == 200
    # one payment per order: a PaymentIntent backs exactly one order
    intents = [pay(500) for _ in range(ORDERS)]

    def place(i):
        body = capture_body(
            external_id=f"HOT-{sku}-{i}",
            lines=[{"sku": sku, "quantity": 1, "unit_amount": 500}],
            shipping_amount=0,
            tax_amount=0,
            payment={"stripe_payment_intent": intents[i]},
        )
        answer = stack.call("POST", "/v1/orders", json=body)
        assert answer.status_code == 202, answer.text
        return answer.json()["order_id"]

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=40) as pool:
        order_ids = list(pool.map(place, range(ORDERS)))
    deadline = time.monotonic() + 300
    while True:
        statuses = Counter(stack.call("GET", f"/v1/orders/{oid}").json()["status"] for oid in order_ids)
        if statuses["RELEASED"] + statuses["BACKORDERED"] == ORDERS or time.monotonic() > deadline:
            break
        time.sleep(1)
    print(
        f"\n{ORDERS} concurrent orders for {STOCK} units settled in {time.monotonic() - began:.1f} s: {dict(statuses)}"
    )
    assert statuses == Counter({"RELEASED": STOCK, "BACKORDERED": ORDERS - STOCK})

    stock = stack.call("GET", f"/v1/inventory/{sku}", "ops").json()
    [at_node] = stock["nodes"]
    assert (at_node["on_hand"], at_node["reserved"], at_node["available"]) == (STOCK, STOCK, 0)
    assert at_node["on_hand"] == at_node["available"] + at_node["reserved"] + at_node["safety_stock"]

"""Routing shown on the order, backorders filled by policy order, and compensation releasing stock."""

import json
import time
import uuid

import boto3
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


def order_for(stack, pay, channel, sku, quantity, **extra):
    body = capture_body(
        external_id=f"R-{uuid.uuid4().hex[:10]}",
        lines=[{"sku": sku, "quantity": quantity, "unit_amount": 100}],
        shipping_amount=0,
        tax_amount=0,
        payment={"stripe_payment_intent": pay(100 * quantity)},
        **extra,
    )
    answer = stack.call("POST", "/v1/orders", channel, json=body)
    assert answer.status_code == 202, answer.text
    return answer.json()["order_id"]


def receive(stack, node, sku, quantity):
    body = {
        "reference": f"r-{uuid.uuid4().hex}",
        "node_id": node,
        "type": "receipt",
        "lines": [{"sku": sku, "quantity": quantity}],
    }
    assert stack.call("POST", "/v1/inventory/adjustments", "admin", json=body).status_code == 200


def routed(stack, order_id, channel="web"):
    return stack.wait_for(order_id, lambda o: o["routing"] is not None, who=channel)


def released(stack, order_id, channel="web", timeout_s=60):
    """Reserved and released to its node (where, here, nobody answers)."""
    return stack.wait_for(order_id, lambda o: o["status"] == "RELEASED", who=channel, timeout_s=timeout_s)


def test_the_order_says_why_it_ships_from_the_node_it_ships_from(stack, pay):
    sku = f"RT-{uuid.uuid4().hex[:6]}"
    near, far = f"near-{uuid.uuid4().hex[:5]}", f"far-{uuid.uuid4().hex[:5]}"
    stack.call(
        "PUT",
        f"/v1/nodes/{near}",
        "admin",
        json={"kind": "warehouse", "address": {"lat": 30.3, "lon": -97.7}},
    )
    stack.call(
        "PUT",
        f"/v1/nodes/{far}",
        "admin",
        json={"kind": "warehouse", "address": {"lat": 47.6, "lon": -122.3}},
    )
    receive(stack, near, sku, 5)
    receive(stack, far, sku, 5)
    ship_to = {
        "name": "Ann",
        "line1": "1 Main",
        "city": "Austin",
        "region": "TX",
        "postal_code": "73301",
        "country": "US",
        "lat": 30.27,
        "lon": -97.74,
    }
    order = released(stack, order_for(stack, pay, "web", sku, 2, ship_to=ship_to))
    assert [a["node_id"] for a in order["routing"]["allocations"]] == [near]
    candidates = order["routing"]["candidates"]
    assert candidates[0]["node_ids"] == [near]
    assert any(c["node_ids"] == [far] and c["score"] > candidates[0]["score"] for c in candidates)
    assert order["routing"]["reason"]


def test_arriving_stock_goes_to_backorders_by_channel_priority_then_age(stack, pay):
    sku, node = f"BO-{uuid.uuid4().hex[:6]}", f"bo-{uuid.uuid4().hex[:5]}"
    stack.call("PUT", f"/v1/nodes/{node}", "admin", json={"kind": "warehouse"})
    stack.call("PUT", "/v1/policies/pos", "admin", json={"priority": 10})
    older_web = order_for(stack, pay, "web", sku, 1)
    assert routed(stack, older_web)["status"] == "BACKORDERED"
    newer_pos = order_for(stack, pay, "pos", sku, 1)
    assert routed(stack, newer_pos, "pos")["status"] == "BACKORDERED"

    receive(stack, node, sku, 1)  # one unit: the priority channel's order gets it, though it came later
    # generous waits: other tests' restock messages may be queued ahead of this one
    reserved = released(stack, newer_pos, "pos", timeout_s=180)
    runs = [e["arn"] for e in reserved["executions"] if e["state_machine"] == "preparation"]
    assert runs[-1].endswith(f"{newer_pos}-restocked")  # a run carried on from the restock
    time.sleep(1)
    assert stack.call("GET", f"/v1/orders/{older_web}").json()["status"] == "BACKORDERED"

    receive(stack, node, sku, 1)
    released(stack, older_web, timeout_s=180)
    level = stack.call("GET", f"/v1/inventory/{sku}", "ops").json()["total"]
    assert (level["on_hand"], level["reserved"], level["available"]) == (2, 2, 0)


def test_compensation_releases_the_reservation(stack, pay):
    sku, node = f"CP-{uuid.uuid4().hex[:6]}", f"cp-{uuid.uuid4().hex[:5]}"
    stack.call("PUT", f"/v1/nodes/{node}", "admin", json={"kind": "warehouse"})
    receive(stack, node, sku, 3)
    order_id = order_for(stack, pay, "web", sku, 2)
    released(stack, order_id)

    lam = boto3.client("lambda", endpoint_url=stack.info["moto"], region_name=stack.info["region"])
    error = {"Error": "States.Timeout", "Cause": "the node did not answer"}
    for _ in range(2):  # the compensation is retried: harmless
        answer = lam.invoke(
            FunctionName="waybill-record_exception",
            Payload=json.dumps({"order_id": order_id, "error": error}).encode(),
        )
        assert "FunctionError" not in answer
    order = stack.call("GET", f"/v1/orders/{order_id}").json()
    assert order["status"] == "EXCEPTION"
    assert order["exception_cause"] == "States.Timeout: the node did not answer"
    level = stack.call("GET", f"/v1/inventory/{sku}", "ops").json()["total"]
    assert (level["on_hand"], level["reserved"], level["available"]) == (3, 0, 3)

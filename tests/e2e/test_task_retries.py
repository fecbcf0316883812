"""A state-machine task run again (a Step Functions retry, a redelivery) must not act twice.

The tasks are invoked again through the emulated Lambda Invoke API, which runs the same handler
code that the state machine ran.
"""

import json
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.unit.builders import GRAND_TOTAL, capture_body

pytestmark = pytest.mark.e2e


def invoke(stack, function, payload):
    lam = boto3.client("lambda", endpoint_url=stack.info["moto"], region_name=stack.info["region"])
    answer = lam.invoke(FunctionName=f"waybill-{function}", Payload=json.dumps(payload).encode())
    assert "FunctionError" not in answer, answer["Payload"].read()
    return json.loads(answer["Payload"].read())


def test_retried_confirmation_and_payment_check_do_not_act_twice(stack, pay):
    sent = capture_body(
        external_id=f"RETRY-{uuid.uuid4().hex[:8]}", payment={"stripe_payment_intent": pay(GRAND_TOTAL)}
    )
    order_id = stack.call("POST", "/v1/orders", json=sent).json()["order_id"]
    order = stack.wait_for(order_id, lambda o: o["confirmation_sent"])
    first_message = next(h["cause"] for h in order["history"] if h["event"] == "confirmation_sent")

    again = invoke(stack, "send_confirmation", {"order_id": order_id})
    assert again["message_id"] == first_message
    assert invoke(stack, "check_payment", {"order_id": order_id}) == {"outcome": "verified", "reason": None}

    time.sleep(1)  # give the outbox time to show a second mail, if one had been sent
    mails = [p for p in Path(stack.info["outbox"]).glob("*.eml") if sent["external_id"] in p.read_text()]
    assert len(mails) == 1
    after = stack.call("GET", f"/v1/orders/{order_id}").json()
    # fulfilment carries on meanwhile; what the replays could have added is not there
    assert after["history"][: len(order["history"])] == order["history"]
    assert [h["event"] for h in after["history"]].count("confirmation_sent") == 1
    assert [h["event"] for h in after["history"]].count("payment_verified") == 1


def test_replayed_fulfilment_tasks_and_events_act_once(stack, pay):
    """Every fulfilment task invoked again and every warehouse and carrier event sent again, after
    delivery: no second label, email, stock movement or history entry."""
    sku, node = f"RP-{uuid.uuid4().hex[:6]}", f"rp-{uuid.uuid4().hex[:6]}"
    stack.call("PUT", f"/v1/nodes/{node}", "admin", json={"kind": "warehouse", "address": {"lat": 30.3, "lon": -97.7}})
    receipt = {"reference": f"r-{sku}", "node_id": node, "type": "receipt", "lines": [{"sku": sku, "quantity": 5}]}
    assert stack.call("POST", "/v1/inventory/adjustments", "admin", json=receipt).status_code == 200
    ref = f"RP-{uuid.uuid4().hex[:8]}"
    sent = capture_body(
        external_id=ref,
        lines=[{"sku": sku, "quantity": 2, "unit_amount": 1000}],
        shipping_amount=0,
        tax_amount=0,
        payment={"stripe_payment_intent": pay(2000)},
    )
    order_id = stack.call("POST", "/v1/orders", json=sent).json()["order_id"]
    order = stack.wait_for(order_id, lambda o: "email_delivered" in [h["event"] for h in o["history"]], timeout_s=90)
    [shipment] = order["shipments"]
    sid, tracking = shipment["shipment_id"], shipment["label"]["tracking_number"]
    task = {"order_id": order_id, "shipment_id": sid}

    # released again after the handover: no shipment to run again (a retried order's new execution
    # runs only what had not left), and the order is not released twice
    again = invoke(stack, "reserve_order", {"order_id": order_id})
    assert (again["outcome"], again["shipments"]) == ("allocated", [])
    assert invoke(stack, "request_fulfilment", {**task, "task_token": "a-retried-attempt"})["outcome"] == "answered"
    assert invoke(stack, "buy_label", task)["tracking_number"] == tracking
    # its own token is kept, and answered at once: the parcel is delivered (this token is not one
    # the state machine issued, so the answer finds no task)
    handed = invoke(stack, "hand_over", {**task, "task_token": "a-retried-attempt"})
    assert (handed["status"], handed["already_delivered"]) == ("DELIVERED", False)
    # the delivered email was recorded: neither the replayed hand-over nor the delivered event again sends one

    at = "2026-11-22T10:00:00Z"
    warehouse: list[dict[str, Any]] = [
        {"type": "accepted"},
        {"type": "picked"},
        {"type": "packed", "parcel": {"weight_grams": 950, "length_cm": 30, "width_cm": 22, "height_cm": 12}},
    ]
    for event in warehouse:
        body = {**event, "event_id": f"{sid}-{event['type']}", "shipment_id": sid, "node_id": node, "occurred_at": at}
        answer = stack.call("POST", "/v1/fulfillment-events", "admin", json=body)
        assert (answer.status_code, answer.json()["outcome"]) == (200, "duplicate"), answer.text
    for i, step in enumerate(("in_transit", "out_for_delivery", "delivered")):
        body = {
            "event_id": f"{tracking}-{i}-{step}",
            "type": step,
            "shipment_id": sid,
            "tracking_number": tracking,
            "occurred_at": at,
        }
        answer = stack.call("POST", "/v1/fulfillment-events", "carrier", json=body)
        assert (answer.status_code, answer.json()["outcome"]) == (200, "duplicate"), answer.text

    time.sleep(1)  # give the outbox time to show a second mail, if one had been sent
    mails = [p for p in Path(stack.info["outbox"]).glob("*.eml") if ref in p.read_text()]
    assert len(mails) == 3  # confirmation, shipped, delivered
    after = stack.call("GET", f"/v1/orders/{order_id}").json()
    assert after["history"] == order["history"]
    assert after["shipments"][0]["label"]["tracking_number"] == tracking
    s3 = boto3.client("s3", endpoint_url=stack.info["moto"], region_name=stack.info["region"])
    labels = s3.list_objects_v2(Bucket=stack.info["resources"]["buckets"]["documents"], Prefix=f"labels/{sid}")
    assert [o["Key"] for o in labels["Contents"]] == [f"labels/{sid}.pdf"]
    level = stack.call("GET", f"/v1/inventory/{sku}", "ops").json()["nodes"][0]
    assert (level["on_hand"], level["reserved"], level["available"]) == (3, 0, 3)

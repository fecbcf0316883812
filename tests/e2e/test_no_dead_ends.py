"""Orders that used to never finish, on the embedded stack (issue cases 9, 10, 11, 12): each ends,
or waits in a typed exception that a person can act on."""

import uuid
from datetime import UTC, datetime

import pytest

from tests.e2e.queue_reads import queued
from tests.e2e.test_fulfilment import (
    AUSTIN,
    DALLAS,
    delivered_one,
    keep_waiting,
    level,
    level_after_compensation,
    node,
    place,
    settled,
    stock,
)
from tests.e2e.test_refunds import cancel

pytestmark = pytest.mark.e2e


def event(stack, who, **body):
    # dated now: an event dated before its order was captured is refused (422)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {"event_id": f"ev-{uuid.uuid4().hex}", "occurred_at": now, **body}
    return stack.call("POST", "/v1/fulfillment-events", who, json=body)


def shipment_at(order, node_id):
    return next(s for s in order["shipments"] if s["node_id"] == node_id)


def refunds_settled(stack, order_id, count):
    def done(o):
        return len(o["refunds"]) == count and all(r["status"] == "SUCCEEDED" for r in o["refunds"])

    return stack.wait_for(order_id, done, timeout_s=90)


def test_a_failed_split_order_closes_the_silent_node_and_cancelling_the_rest_leaves_it_delivered(stack, pay):
    near_sku, far_sku = f"DN-{uuid.uuid4().hex[:6]}", f"DF-{uuid.uuid4().hex[:6]}"
    near, far = node(stack), node(stack, where=DALLAS)
    stock(stack, near, near_sku, 5)
    stock(stack, far, far_sku, 5)
    lines = [
        {"sku": near_sku, "quantity": 1, "unit_amount": 3000},
        {"sku": far_sku, "quantity": 1, "unit_amount": 1000},
    ]
    order_id, _ = place(stack, pay, lines, line2=f"sim:silent@{far}")

    # the other shipment is delivered while the silent node's wait is kept alive
    order = keep_waiting(stack, order_id, far, lambda o: shipment_at(o, near)["status"] == "DELIVERED")
    silent = shipment_at(order, far)["shipment_id"]
    assert event(stack, "admin", type="picked", shipment_id=silent, node_id=far).status_code == 200
    heavy = {"weight_grams": 70000, "length_cm": 40, "width_cm": 30, "height_cm": 30}
    refused = event(stack, "admin", type="packed", shipment_id=silent, node_id=far, parcel=heavy)
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "parcel_over_limit"), refused.text
    assert "30000 g" in refused.json()["error"]["message"]

    # then the node goes silent: the order fails, the node's shipment is closed and its stock back
    order = stack.wait_for(order_id, lambda o: o["status"] == "EXCEPTION", timeout_s=60)
    [failed] = [e for e in order["exceptions"] if e["resolved_at"] is None]
    assert (failed["type"], failed["subject"]) == ("fulfilment_failed", silent)
    assert "cancel" in failed["actions"]
    assert shipment_at(order, far)["status"] == "CANCELLED"
    assert level_after_compensation(stack, far_sku, far, (5, 0, 5)) == (5, 0, 5)
    light = {"weight_grams": 900, "length_cm": 30, "width_cm": 20, "height_cm": 10}
    late = event(stack, "admin", type="packed", shipment_id=silent, node_id=far, parcel=light)
    assert (late.status_code, late.json()["error"]["code"]) == (409, "shipment_closed")

    answer = cancel(stack, order_id)
    assert answer.status_code == 202, answer.text
    order = refunds_settled(stack, order_id, 1)
    assert order["status"] == "DELIVERED"
    assert order["refunds"][0]["amount"] == 1000  # the far line; shipping stays: the near line was delivered
    assert all(e["resolved_at"] for e in order["exceptions"])
    ret = stack.call(
        "POST", f"/v1/orders/{order_id}/returns", json={"lines": [{"line_id": "L1", "quantity": 1}], "reason": "x"}
    )
    assert ret.status_code == 202, ret.text


def test_a_pickup_never_collected_becomes_an_exception_that_cancels_back_to_stock_and_refunds(stack, pay):
    sku = f"PU-{uuid.uuid4().hex[:6]}"
    store = node(stack, kind="store", where=DALLAS, pickup=True)
    stock(stack, store, sku, 5)
    order_id, _ = place(
        stack,
        pay,
        [{"sku": sku, "quantity": 2, "unit_amount": 2500}],
        line2="sim:no-show",
        delivery={"method": "pickup", "pickup_node": store, "service_level": "standard"},
    )
    order = settled(stack, order_id, timeout_s=150)
    assert order["status"] == "EXCEPTION", order["history"]
    [waiting] = order["shipments"]
    assert waiting["status"] == "READY_FOR_PICKUP"
    [typed] = order["exceptions"]
    assert (typed["type"], typed["subject"], typed["actions"]) == (
        "pickup_not_collected",
        waiting["shipment_id"],
        ["cancel"],
    )
    assert level(stack, sku, store) == (3, 0, 3)  # consumed when it was made ready
    assert queued(stack, order_id, "pickup_not_collected")["actions"] == ["cancel"]

    assert cancel(stack, order_id).status_code == 202
    order = refunds_settled(stack, order_id, 1)
    assert order["status"] == "CANCELLED"
    assert order["refunds"][0]["amount"] == 5000
    assert level(stack, sku, store) == (5, 0, 5)


def test_a_return_in_two_parcels_is_refunded_per_parcel_and_returned_only_when_the_last_arrives(stack, pay):
    sku = f"RP-{uuid.uuid4().hex[:6]}"
    at = node(stack)
    stock(stack, at, sku, 5)
    order_id, _ = place(
        stack, pay, [{"sku": sku, "quantity": 3, "unit_amount": 1000}], line2="sim:partial-return", shipping_amount=600
    )
    assert settled(stack, order_id)["status"] == "DELIVERED"
    answer = stack.call(
        "POST", f"/v1/orders/{order_id}/returns", json={"lines": [{"line_id": "L1", "quantity": 3}], "reason": "x"}
    )
    assert answer.status_code == 202, answer.text

    order = stack.wait_for(order_id, lambda o: o["status"] == "RETURNED", timeout_s=90)
    refunds = refunds_settled(stack, order_id, 2)["refunds"]
    assert sorted(r["amount"] for r in refunds) == [1000, 2000 + 600]  # one unit; two and the shipping
    events = [(h["event"], h["cause"]) for h in order["history"]]
    receipts = [i for i, (e, _) in enumerate(events) if e == "return_received"]
    assert len(receipts) == 2
    assert "2 still out" in events[receipts[0]][1]
    assert events.index(("returned", f"{order_id}-R1")) > receipts[1]  # not RETURNED after the first parcel
    [rma] = order["returns"]
    assert (rma["status"], rma["outstanding"]) == ("REFUNDED", 0)
    assert level(stack, sku, at) == (5, 0, 5)


def test_a_return_whose_label_cannot_be_bought_is_queued_and_the_ops_retry_finishes_it(stack, pay):
    order_id, at = delivered_one(stack, pay, "RF", 1500)
    # the carrier will not sell a label to the returns dock now
    closed = {"kind": "warehouse", "address": {**AUSTIN, "line1": "1 Dock Rd", "line2": "sim:carrier-down"}}
    assert stack.call("PUT", f"/v1/nodes/{at}", "admin", json=closed).status_code == 200
    answer = stack.call(
        "POST", f"/v1/orders/{order_id}/returns", json={"lines": [{"line_id": "L1", "quantity": 1}], "reason": "x"}
    )
    assert answer.status_code == 202, answer.text
    rma_id = f"{order_id}-R1"

    def failed(o):
        return any(e["type"] == "return_failed" and not e["resolved_at"] for e in o["exceptions"])

    stack.wait_for(order_id, failed, timeout_s=90)
    entry = queued(stack, order_id, "return_failed")
    assert entry is not None
    assert entry["subject"] == rma_id
    assert "retry" in entry["actions"]

    opened = {"kind": "warehouse", "address": {**AUSTIN, "line1": "1 Dock Rd"}}
    assert stack.call("PUT", f"/v1/nodes/{at}", "admin", json=opened).status_code == 200
    retried = stack.call(
        "POST", f"/v1/orders/{order_id}/actions", "ops", json={"action": "retry", "reason": "the dock reopened"}
    )
    assert retried.status_code == 200, retried.text
    assert queued(stack, order_id, "return_failed") is None
    order = refunds_settled(stack, order_id, 1)
    [audit] = [h for h in order["history"] if h["event"] == "return_retried"]
    assert audit["actor"] == {"kind": "ops", "name": "ops"}
    assert audit["cause"] == f"{rma_id}: the dock reopened"

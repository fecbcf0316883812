"""Operations on the embedded stack: orders that need a person show in the exception queue, typed,
and each action resolves its case with an audit entry naming the ops principal."""

import uuid

import pytest

from tests.e2e.queue_reads import queue, queued
from tests.e2e.test_fulfilment import DALLAS, level, node, place, stock
from tests.unit.builders import capture_body

pytestmark = pytest.mark.e2e

OPS_ROUTES = (
    ("GET", "/v1/ops/exceptions"),
    ("POST", "/v1/orders/ord_x1/actions"),
    ("POST", "/v1/orders/ord_x1/returns/ord_x1-R1/retry"),
    ("POST", "/v1/finance/refunds/rf_00/retry"),
)


def act(stack, order_id, key=None, **body):
    headers = {"Idempotency-Key": key} if key else {}
    return stack.call("POST", f"/v1/orders/{order_id}/actions", "ops", json=body, headers=headers)


def by_ops(order, event):
    return [h for h in order["history"] if h["event"] == event and (h["actor"] or {}).get("kind") == "ops"]


def test_a_channel_key_is_refused_on_every_ops_route(stack):
    for method, path in OPS_ROUTES:
        body = {"action": "cancel", "reason": "x"} if "actions" in path else {"reason": "x"}
        answer = stack.call(method, path, "web", **({} if method == "GET" else {"json": body}))
        assert (answer.status_code, answer.json()["error"]["code"]) == (403, "forbidden"), (path, answer.text)


def test_held_and_failed_orders_are_queued_and_each_action_resolves_its_case(stack, pay):
    sku = f"OQ-{uuid.uuid4().hex[:6]}"
    near, far = node(stack), node(stack, where=DALLAS)
    stock(stack, near, sku, 10)
    stock(stack, far, sku, 10)
    lines = [{"sku": sku, "quantity": 1, "unit_amount": 2000}]
    # underpaid by 100: held for payment
    body = capture_body(external_id=f"OQ-{uuid.uuid4().hex[:8]}", lines=lines, shipping_amount=0, tax_amount=0)
    body["payment"] = {"stripe_payment_intent": pay(1900)}
    held = stack.call("POST", "/v1/orders", json=body).json()["order_id"]
    # the nearer node never answers: the order fails there
    silent, _ = place(stack, pay, lines, line2=f"sim:silent@{near}")
    # the carrier sells no label
    refused, _ = place(stack, pay, lines, line2="sim:carrier-down")

    stack.wait_for(held, lambda o: o["status"] == "ON_HOLD", timeout_s=60)
    entry = queued(stack, held, "payment_hold")
    assert entry is not None
    assert (entry["type"], entry["actions"]) == ("payment_hold", ["release_hold", "cancel"])
    again = act(stack, held, action="retry", reason="nothing failed")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "nothing_to_retry")
    released = act(stack, held, key=f"k-{held}", action="release_hold", reason="paid the rest by wire", override=True)
    assert released.status_code == 200, released.text
    replay = act(stack, held, key=f"k-{held}", action="release_hold", reason="paid the rest by wire", override=True)
    assert replay.headers.get("Idempotent-Replayed") == "true"
    order = stack.wait_for(held, lambda o: o["status"] == "DELIVERED", timeout_s=90)
    [audit] = by_ops(order, "hold_released")
    assert (audit["actor"], audit["cause"]) == ({"kind": "ops", "name": "ops"}, "paid the rest by wire")
    assert len(order["executions"]) == 2  # the first ended at the hold; the release started one, once
    assert queued(stack, held, "payment_hold") is None

    stack.wait_for(silent, lambda o: o["status"] == "EXCEPTION", timeout_s=120)
    entry = queued(stack, silent, "fulfilment_failed")
    assert entry is not None
    assert near in entry["node_ids"]
    assert "reroute" in entry["actions"]
    answer = act(stack, silent, action="reroute", reason="the Austin dock is closed", node_id=far)
    assert answer.status_code == 200, answer.text
    order = stack.wait_for(silent, lambda o: o["status"] == "DELIVERED", timeout_s=120)
    assert [s["node_id"] for s in order["shipments"] if s["status"] == "DELIVERED"] == [far]
    [audit] = by_ops(order, "rerouted")
    assert audit["cause"] == f"to {far}: the Austin dock is closed"
    assert queued(stack, silent, "fulfilment_failed") is None

    stack.wait_for(refused, lambda o: o["status"] == "EXCEPTION", timeout_s=120)
    assert queued(stack, refused, "carrier_refused") is not None
    answer = act(stack, refused, action="cancel", reason="customer gave up")
    assert answer.status_code == 200, answer.text
    order = answer.json()
    assert order["status"] == "CANCELLED"
    [audit] = by_ops(order, "cancelled")
    assert audit["cause"].endswith("customer gave up")
    assert queued(stack, refused, "carrier_refused") is None
    assert level(stack, sku, near)[1] == 0  # nothing stays reserved anywhere
    assert level(stack, sku, far)[1] == 0


def test_the_queue_pages_every_order_exactly_once_and_refuses_a_made_up_cursor(stack, pay):
    held = []
    for _ in range(3):
        body = capture_body(external_id=f"OP-{uuid.uuid4().hex[:8]}", shipping_amount=0, tax_amount=0)
        body["payment"] = {"stripe_payment_intent": pay(100)}  # far too little
        held.append(stack.call("POST", "/v1/orders", json=body).json()["order_id"])
    for order_id in held:
        stack.wait_for(order_id, lambda o: o["status"] == "ON_HOLD", timeout_s=60)
    everything = queue(stack, limit=200, order="oldest")
    total = sum(everything["counts"].values())
    seen, cursor = [], None
    while True:
        page = queue(stack, limit=1, order="oldest", **({"cursor": cursor} if cursor else {}))
        seen += [e["order_id"] for e in page["exceptions"]]
        if page["next"] is None:
            break
        cursor = page["next"]
    assert len(seen) == len(set(seen))
    assert set(seen) == {e["order_id"] for e in everything["exceptions"]}
    assert set(held) <= set(seen)
    assert len(seen) <= total
    newest = queue(stack, limit=3, type="payment_hold")["exceptions"]
    assert {e["order_id"] for e in newest} == set(held)  # newest first by default
    bad = stack.call("GET", "/v1/ops/exceptions", "ops", params={"cursor": "bm90LWEtY3Vyc29y"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_cursor")  # as a search's

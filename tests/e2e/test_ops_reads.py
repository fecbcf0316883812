"""Operations reads on the embedded stack: order search pages and who sees what, an execution step
by step, dead letters and their redrive, and `waybill ops` printing them."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import boto3
import pytest

from devstack import cli
from shared.topology import FUNCTIONS, Kind
from tests.unit.builders import GRAND_TOTAL, capture_body

pytestmark = pytest.mark.e2e


def _capture(stack, pay, who: str, sku: str) -> str:
    body = capture_body(
        external_id=f"OPS-{uuid.uuid4().hex[:10]}",
        lines=[{"sku": sku, "quantity": 1, "unit_amount": GRAND_TOTAL - 600}],
        payment={"stripe_payment_intent": pay(GRAND_TOTAL)},
    )
    answer = stack.call("POST", "/v1/orders", who, json=body)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["order_id"])


def _search(stack, who: str, **params: Any) -> Any:
    return stack.call("GET", "/v1/orders", who, params=params)


def test_search_pages_cover_every_order_once_and_a_channel_sees_only_its_own(stack, pay):
    sku = f"OPS-{uuid.uuid4().hex[:8]}"  # stocked nowhere: the orders wait as backorders
    web = {_capture(stack, pay, "web", sku) for _ in range(5)}
    pos = {_capture(stack, pay, "pos", sku) for _ in range(3)}

    pages, cursor = [], None
    while True:
        answer = _search(stack, "ops", sku=sku, limit=3, **({"cursor": cursor} if cursor else {}))
        assert answer.status_code == 200, answer.text
        pages.append([o["order_id"] for o in answer.json()["orders"]])
        cursor = answer.json()["next"]
        if cursor is None:
            break
    flat = [i for page in pages for i in page]
    assert len(flat) == len(set(flat)) == 8
    assert set(flat) == web | pos
    assert len(pages) >= 3

    mine = _search(stack, "web", sku=sku, limit=200).json()
    assert {o["order_id"] for o in mine["orders"]} == web
    assert {o["channel"] for o in mine["orders"]} == {"web"}
    assert {o["order_id"] for o in _search(stack, "pos", sku=sku).json()["orders"]} == pos
    refused = _search(stack, "web", channel="pos")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    finance = _search(stack, "finance", channel="pos", sku=sku).json()
    assert {o["order_id"] for o in finance["orders"]} == pos

    garbage = _search(stack, "ops", sku=sku, cursor="bm90IGEgY3Vyc29y")
    assert (garbage.status_code, garbage.json()["error"]["code"]) == (400, "invalid_cursor")
    too_many = _search(stack, "ops", limit=201)
    assert (too_many.status_code, too_many.json()["error"]["code"]) == (422, "validation_failed")


def test_a_channel_key_is_refused_on_every_route_not_for_channels(stack):
    routes = [(fn.name, r) for fn in FUNCTIONS for r in fn.routes if r.authorized and Kind.CHANNEL not in r.kinds]
    assert {"/v1/ops/dead-letters", "/v1/orders/{order_id}/executions/{name}"} <= {r.path for _, r in routes}
    for name, r in routes:
        path = re.sub(r"\{[^}]+\}", "x1", r.path)
        answer = stack.call(r.method, path, "web", json={} if r.method in ("POST", "PUT") else None)
        assert (answer.status_code, answer.json()["error"]["code"]) == (403, "forbidden"), (name, r.method, r.path)


def test_an_execution_step_by_step_and_waybill_ops_order(stack, pay, capsys):
    order_id = _capture(stack, pay, "web", f"OPS-{uuid.uuid4().hex[:8]}")
    stack.wait_for(order_id, lambda o: o["status"] == "BACKORDERED")
    runs = stack.call("GET", f"/v1/orders/{order_id}/executions", "ops").json()["executions"]
    # backordered: the run's preparation only, no shipment to start a fulfilment for
    assert [(r["name"], r["state_machine"], r["console_url"]) for r in runs] == [(order_id, "preparation", None)]
    deadline = time.monotonic() + 30
    while (detail := stack.call("GET", f"/v1/orders/{order_id}/executions/{order_id}", "ops").json())["execution"][
        "status"
    ] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.25)
    steps = {s["name"]: s for s in detail["steps"]}
    assert detail["execution"]["status"] == "SUCCEEDED"
    # an Express execution: its steps read from its log group
    assert list(steps) == ["CheckPayment", "SendConfirmation", "ReserveOrder"]
    check = steps["CheckPayment"]
    assert (check["type"], check["outcome"], check["attempts"], check["retries"]) == ("Task", "succeeded", 1, 0)
    assert check["duration_ms"] >= 0
    assert check["output"]["payment"]["outcome"] == "verified"
    # backordered: ReserveOrder says so and starts no shipment's fulfilment, and the run ends
    assert steps["ReserveOrder"]["output"]["reservation"]["outcome"] == "backorder"
    assert steps["ReserveOrder"]["output"]["reservation"]["shipments"] == []
    assert "ada@example.com" not in json.dumps(detail)
    missing = stack.call("GET", f"/v1/orders/{order_id}/executions/nope", "ops")
    assert missing.status_code == 404

    assert cli.main(["ops", "order", order_id, "--api", stack.api, "--key", stack.key("ops")]) == 0
    out = capsys.readouterr().out
    assert f"order {order_id}" in out
    assert "status BACKORDERED" in out
    assert "backordered" in out  # the history
    assert "CheckPayment" in out
    assert "succeeded" in out


def test_dead_letters_are_counted_masked_and_redriven_at_most_n(stack, capsys):
    sqs = boto3.client("sqs", endpoint_url=stack.info["moto"], region_name=stack.info["region"])
    marker = f"poison-{uuid.uuid4().hex[:8]}"
    # never valid events: retried, then dead-lettered by SQS
    for n in range(2):
        poison = {"event_id": f"{marker}-{n}", "type": "teleported", "note": "customer ada@example.com called"}
        sqs.send_message(QueueUrl=stack.info["resources"]["queues"]["events"], MessageBody=json.dumps(poison))

    def events_queue() -> dict[str, Any]:
        queues = stack.call("GET", "/v1/ops/dead-letters", "ops").json()["queues"]
        return next(q for q in queues if q["queue"] == "events")

    def mine(q: dict[str, Any]) -> list[dict[str, Any]]:
        return [s for s in q["samples"] if marker in json.dumps(s["body"])]

    deadline = time.monotonic() + 60
    while len(mine(q := events_queue())) < 2:
        assert time.monotonic() < deadline, q
        time.sleep(0.5)
    sample = mine(q)[0]
    assert sample["body"]["note"] == "customer ***** called"
    assert q["count"] >= 2
    assert q["oldest_age_s"] >= sample["age_s"] >= 0
    assert sample["receive_count"] >= 1
    # the consumer gave it up on its last receive and said why
    assert "Input tag 'teleported'" in sample["failure_reason"]
    # and the exception queue lists the dead-letter queue, to be redriven
    page = stack.call("GET", "/v1/ops/exceptions", "ops", params={"type": "dead_letter"}).json()
    [entry] = [e for e in page["exceptions"] if e["subject"] == "events"]
    assert (entry["type"], entry["order_id"], entry["actions"]) == ("dead_letter", None, ["redrive"])
    assert "message(s) in the events queue's dead-letter queue" in entry["reason"]
    assert page["counts"] == {"dead_letter": len(page["exceptions"])}
    everything = stack.call("GET", "/v1/ops/exceptions", "ops", params={"limit": 200}).json()
    assert everything["counts"]["dead_letter"] == page["counts"]["dead_letter"]
    of_web = stack.call("GET", "/v1/ops/exceptions", "ops", params={"channel": "web"}).json()
    assert of_web["counts"]["dead_letter"] == 0  # a dead letter names no channel

    assert cli.main(["ops", "dead-letters", "--api", stack.api, "--key", stack.key("ops")]) == 0
    out = capsys.readouterr().out
    assert "events" in out
    assert marker in out
    assert "ada@example.com" not in out

    one = stack.call("POST", "/v1/ops/dead-letters/events/redrive", "ops", json={"limit": 1}).json()
    assert (one["queue"], one["moved"]) == ("events", 1)
    assert one["remaining"] >= 1  # at most N: the other one stayed
    rest = stack.call("POST", "/v1/ops/dead-letters/events/redrive", "ops", json={"limit": 100}).json()
    assert rest["moved"] >= 1
    # back on the events queue, they fail again and return to the dead-letter queue
    deadline = time.monotonic() + 60
    while len(mine(q := events_queue())) < 2:
        assert time.monotonic() < deadline, q
        time.sleep(0.5)
    unknown = stack.call("POST", "/v1/ops/dead-letters/nowhere/redrive", "ops", json={"limit": 1})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "not_found")

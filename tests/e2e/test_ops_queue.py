"""Operations on the embedded stack: orders that need a person show in the exception queue, typed,
and each action resolves its case with an audit entry naming the ops principal."""

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from devstack import cli
from tests.e2e.conftest import ROOT
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


def entry_key(entry):
    """An order's entry by its id; a dead-letter queue's (no order) by its queue."""
    return entry["order_id"] or f"{entry['type']}:{entry['subject']}"


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
    # the first run ended at the hold; the release started one, once, which fulfilled its one shipment
    assert [e["state_machine"] for e in order["executions"]] == ["preparation", "preparation", "fulfilment"]
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
        seen += [entry_key(e) for e in page["exceptions"]]
        if page["next"] is None:
            break
        cursor = page["next"]
    assert len(seen) == len(set(seen))
    assert set(seen) == {entry_key(e) for e in everything["exceptions"]}
    assert set(held) <= set(seen)
    assert len(seen) <= total
    newest = queue(stack, limit=3, type="payment_hold")["exceptions"]
    assert {e["order_id"] for e in newest} == set(held)  # newest first by default
    bad = stack.call("GET", "/v1/ops/exceptions", "ops", params={"cursor": "bm90LWEtY3Vyc29y"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_cursor")  # as a search's


def waybill(stack, *args):
    env = {**os.environ, "WAYBILL_STATE_DIR": str(stack.state_dir)}
    command = [sys.executable, "-m", "devstack.cli", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


def _backdated_order(stack, pay, hours):
    """An order captured `hours` ago that never moved on: written as its capture left it."""
    from shared.adapters.dynamodb_orders import DynamoDBOrders
    from shared.domain.order import Customer, Delivery, place
    from shared.domain.values import Address

    orders = DynamoDBOrders(
        boto3.client("dynamodb", endpoint_url=stack.info["moto"], region_name=stack.info["region"]),
        stack.info["resources"]["tables"]["orders"],
    )
    run = uuid.uuid4().hex[:12]
    order = place(
        order_id=f"ord_{run}",
        channel="web",
        external_id=f"STUCK-{run}",
        currency="USD",
        customer=Customer("ada@example.com", "Ada"),
        ship_to=Address("Ada", "1 Main St", "Austin", "TX", "73301", "US"),
        lines=[("MUG", 1, 1000)],
        shipping_amount=0,
        tax_amount=0,
        payment_intent=pay(1000),
        delivery=Delivery("ship", "standard"),
        at=datetime.now(UTC) - timedelta(hours=hours),
    )
    orders.add(order, "backdated")
    return order.order_id


def test_the_sweep_files_an_order_without_progress_as_stuck_and_cancelling_it_is_audited(stack, pay):
    order_id = _backdated_order(stack, pay, hours=2)  # RECEIVED should take seconds, not an hour
    assert queued(stack, order_id, "stuck") is None
    swept = waybill(stack, "schedules", "run", "sweep_exceptions")
    assert swept.returncode == 0, swept.stderr
    assert order_id in json.loads(swept.stdout.splitlines()[0])["stuck"]
    entry = queued(stack, order_id, "stuck")
    assert entry is not None, "the swept order is not in the queue"
    assert "cancel" in entry["actions"]
    assert "RECEIVED since" in entry["reason"]
    answer = act(stack, order_id, action="cancel", reason="never paid for, never routed")
    assert answer.status_code == 200, answer.text
    [audit] = by_ops(answer.json(), "cancelled")
    assert audit["actor"] == {"kind": "ops", "name": "ops"}
    assert audit["cause"].endswith("never paid for, never routed")
    assert queued(stack, order_id, "stuck") is None


def test_waybill_ops_lists_the_queue_and_acts_on_the_embedded_stack(stack, pay, capsys):
    body = capture_body(external_id=f"CLI-{uuid.uuid4().hex[:8]}", shipping_amount=0, tax_amount=0)
    body["payment"] = {"stripe_payment_intent": pay(100)}  # far too little: held
    held = stack.call("POST", "/v1/orders", json=body).json()["order_id"]
    stack.wait_for(held, lambda o: o["status"] == "ON_HOLD", timeout_s=60)
    api = ("--api", stack.api, "--key", stack.key("ops"))
    assert cli.main(["ops", "exceptions", "--type", "payment_hold", "--limit", "200", *api]) == 0
    listed = capsys.readouterr().out
    [row] = [line for line in listed.splitlines() if held in line]
    assert body["external_id"] in row
    assert "payment_hold" in row
    assert "release_hold, cancel" in row
    counted = queue(stack, type="payment_hold")["counts"]["payment_hold"]
    assert f"open by type: payment_hold {counted}" in listed
    assert cli.main(["ops", "act", held, "cancel", "--reason", "customer asked by phone", *api]) == 0
    acted = capsys.readouterr().out
    assert f"cancel on {held}: status now CANCELLED" in acted
    assert "by ops:ops" in acted
    order = stack.call("GET", f"/v1/orders/{held}", "ops").json()
    [audit] = by_ops(order, "cancelled")
    assert audit["cause"].endswith("customer asked by phone")
    assert queued(stack, held, "payment_hold") is None


def test_waybill_keys_records_who_created_and_revoked_a_key(stack):
    name = f"b2b-{uuid.uuid4().hex[:6]}"
    created = waybill(stack, "keys", "create", "--kind", "channel", "--name", name, "--by", "ada@shop")
    assert created.returncode == 0, created.stderr
    revoked = waybill(stack, "keys", "revoke", "--kind", "channel", "--name", name)  # by the AWS identity
    assert revoked.returncode == 0, revoked.stderr
    listed = waybill(stack, "keys", "list")
    assert listed.returncode == 0, listed.stderr
    [row] = [line for line in listed.stdout.splitlines() if f" {name} " in line]
    assert "by admin:ada@shop" in row
    assert "by admin:arn:aws:" in row  # moto's caller identity, as STS answers in AWS


def test_a_refund_stripe_refuses_is_queued_and_the_retry_pays_it_with_an_audit_entry(stack, pay):
    from shared.adapters.dynamodb_ledger import DynamoDBLedger
    from shared.domain.refund_ledger import LedgerEntry, RefundReason, RefundStatus

    body = capture_body(external_id=f"RF-{uuid.uuid4().hex[:8]}", shipping_amount=0, tax_amount=0)
    body["lines"] = [{"sku": f"RF-{uuid.uuid4().hex[:6]}", "quantity": 1, "unit_amount": 2000}]  # never stocked
    body["payment"] = {"stripe_payment_intent": pay(2000)}
    order_id = stack.call("POST", "/v1/orders", json=body).json()["order_id"]
    order = stack.wait_for(order_id, lambda o: o["status"] == "BACKORDERED", timeout_s=60)
    # a goodwill refund booked against a PaymentIntent Stripe does not know: Stripe refuses to pay it
    info = stack.info
    ledger = DynamoDBLedger(
        boto3.client("dynamodb", endpoint_url=info["moto"], region_name=info["region"]),
        info["resources"]["tables"]["ledger"],
    )
    refund_id = f"rf_{uuid.uuid4().hex[:20]}"
    entry = LedgerEntry(
        refund_id,
        order_id,
        "pi_doesnotexist42",
        700,
        "USD",
        RefundReason.GOODWILL,
        "ticket-12",
        f"k-{refund_id}",
        RefundStatus.PENDING,
        None,
        None,
        datetime.now(UTC),
        None,
    )
    ledger.open(entry, 700)
    sfn = boto3.client("stepfunctions", endpoint_url=info["moto"], region_name=info["region"])
    machine = info["resources"]["state_machines"]["refunds"]
    sfn.start_execution(
        stateMachineArn=machine,
        name=f"{order_id}-{refund_id}",
        input=json.dumps({"order_id": order_id, "refund_id": refund_id}),
    )
    stack.wait_for(
        order_id, lambda o: any(e["type"] == "refund_failed" and not e["resolved_at"] for e in o["exceptions"]), "ops"
    )
    entry = queued(stack, order_id, "refund_failed")
    assert entry is not None
    assert entry["subject"] == refund_id
    assert entry["actions"][0] == "retry"  # then cancel: the order is still waiting for stock

    retried = stack.call("POST", f"/v1/finance/refunds/{refund_id}/retry", "ops", json={"reason": "paid on the card"})
    assert retried.status_code == 202, retried.text
    retry_id = retried.json()["refund_id"]
    assert queued(stack, order_id, "refund_failed") is None
    order = stack.wait_for(
        order_id, lambda o: any(r["refund_id"] == retry_id and r["status"] == "SUCCEEDED" for r in o["refunds"]), "ops"
    )
    [audit] = by_ops(order, "refund_retried")
    assert audit["actor"] == {"kind": "ops", "name": "ops"}
    assert audit["cause"].endswith("paid on the card")

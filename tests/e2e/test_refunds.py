"""Cancellations refund through Stripe exactly once; Stripe's webhook settles what it names and
nothing when the signature is wrong."""

import hashlib
import hmac
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
import stripe

from tests.e2e.test_fulfilment import delivered_one, keep_waiting, level, node, place, settled, stock

pytestmark = pytest.mark.e2e


def stripe_client(stack):
    return stripe.StripeClient("sk_test_e2e", base_addresses={"api": stack.info["localstripe"]})


def refunds_at_stripe(stack, intent):
    listed = stripe_client(stack).v1.refunds.list(params={"payment_intent": intent, "limit": 100})
    return list(listed.auto_paging_iter())


def cancel(stack, order_id, who="web", reason="customer changed their mind"):
    return stack.call("POST", f"/v1/orders/{order_id}/cancel", who, json={"reason": reason})


def signed(stack, event: dict[str, Any], secret: str | None = None, at: int | None = None) -> dict[str, Any]:
    payload = json.dumps(event)
    t = at or int(time.time())
    key = (secret or stack.info["stripe_webhook_secret"]).encode()
    signature = hmac.new(key, f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return {
        "data": payload,
        "headers": {"Stripe-Signature": f"t={t},v1={signature}", "Content-Type": "application/json"},
    }


def refund_settled(stack, order_id, who="web"):
    return stack.wait_for(
        order_id, lambda o: o["refunds"] and o["refunds"][0]["status"] != "PENDING", who=who, timeout_s=60
    )


def test_cancelling_before_shipping_refunds_everything_once_however_often_asked(stack, pay):
    sku = f"CN-{uuid.uuid4().hex[:6]}"
    at = node(stack)
    stock(stack, at, sku, 5)
    lines = [{"sku": sku, "quantity": 2, "unit_amount": 1500}]
    order_id, ref = place(stack, pay, lines, line2="sim:silent", shipping_amount=500, tax_amount=240)
    order = stack.wait_for(order_id, lambda o: o["status"] == "RELEASED")
    intent = order["payment"]["stripe_payment_intent"]

    with ThreadPoolExecutor(max_workers=3) as pool:  # a double (triple) submit
        answers = list(pool.map(lambda _: cancel(stack, order_id), range(3)))
    assert [a.status_code for a in answers] == [202, 202, 202], [a.text for a in answers]
    again = cancel(stack, order_id, who="ops")
    assert again.status_code == 202
    cancelled = refund_settled(stack, order_id)
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["cancellation"]["whole"] is True
    [refund] = cancelled["refunds"]
    assert (refund["amount"], refund["status"], refund["reason"]) == (2 * 1500 + 500 + 240, "SUCCEEDED", "cancellation")
    assert level(stack, sku, at) == (5, 0, 5)  # the reservation went back on the shelf
    sfn = boto3.client("stepfunctions", endpoint_url=stack.info["moto"], region_name=stack.info["region"])
    # stopped: ABORTED in AWS; moto cannot stop an execution waiting on a task token, so there the
    # cancelled shipment's wait is ended instead and the flow finishes quietly

    # the shipment's fulfilment (the run's preparation, Express, ended before it started)
    shipment_run = next(e["arn"] for e in order["executions"] if e["state_machine"] == "fulfilment")
    deadline = time.monotonic() + 30
    while (status := sfn.describe_execution(executionArn=shipment_run)["status"]) == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert status in ("ABORTED", "SUCCEEDED")
    assert stack.call("GET", f"/v1/orders/{order_id}").json()["status"] == "CANCELLED"

    # the refund step retried and the webhook replayed: still one refund at Stripe
    lam = boto3.client("lambda", endpoint_url=stack.info["moto"], region_name=stack.info["region"])
    for _ in range(2):
        answer = lam.invoke(FunctionName="waybill-pay_refund", Payload=json.dumps({"refund_id": refund["refund_id"]}))
        assert json.loads(answer["Payload"].read())["status"] == "SUCCEEDED"
    [at_stripe] = refunds_at_stripe(stack, intent)
    assert at_stripe["metadata"]["refund_id"] == refund["refund_id"]
    assert at_stripe["id"] == refund["stripe_refund_id"]
    event = {"id": f"evt_{uuid.uuid4().hex}", "type": "refund.updated", "data": {"object": at_stripe.to_dict()}}
    for _ in range(2):
        hook = stack.call("POST", "/v1/webhooks/stripe", None, **signed(stack, event))
        assert (hook.status_code, hook.json().get("unchanged")) == (200, 1), hook.text
    assert len(refunds_at_stripe(stack, intent)) == 1

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        mails = [
            p for p in Path(stack.info["outbox"]).glob("*.eml") if ref in p.read_text() and "-refund_issued-" in p.name
        ]
        if mails:
            break
        time.sleep(0.2)
    time.sleep(0.5)
    mails = [
        p for p in Path(stack.info["outbox"]).glob("*.eml") if ref in p.read_text() and "-refund_issued-" in p.name
    ]
    assert len(mails) == 1


def test_a_shipped_order_cannot_be_cancelled(stack, pay):
    order_id, _ = delivered_one(stack, pay, "CS", 900)
    answer = cancel(stack, order_id)
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "already_shipped"
    other = cancel(stack, order_id, who="pos")  # another channel's order does not exist for it
    assert other.status_code == 404
    assert stack.call("GET", f"/v1/orders/{order_id}").json()["refunds"] == []


def test_cancelling_a_split_order_stops_only_what_has_not_left(stack, pay):
    near_sku, far_sku = f"PN-{uuid.uuid4().hex[:6]}", f"PF-{uuid.uuid4().hex[:6]}"
    near, far = node(stack), node(stack)
    stock(stack, near, near_sku, 5)
    stock(stack, far, far_sku, 5)
    lines = [
        {"sku": near_sku, "quantity": 1, "unit_amount": 1000},
        {"sku": far_sku, "quantity": 1, "unit_amount": 3000},
    ]
    order_id, _ = place(stack, pay, lines, line2=f"sim:silent@{far}", shipping_amount=700, tax_amount=400)
    keep_waiting(stack, order_id, far, lambda o: o["status"] == "PARTIALLY_SHIPPED")

    answer = cancel(stack, order_id)
    assert answer.status_code == 202, answer.text
    order = stack.wait_for(order_id, lambda o: o["status"] == "DELIVERED", timeout_s=90)
    assert order["cancellation"]["whole"] is False
    assert [line["line_id"] for line in order["cancellation"]["lines"]] == ["L2"]
    by_node = {s["node_id"]: s["status"] for s in order["shipments"]}
    assert by_node == {near: "DELIVERED", far: "CANCELLED"}
    refund = refund_settled(stack, order_id)["refunds"][0]
    assert (refund["amount"], refund["status"]) == (3000 + 300, "SUCCEEDED")  # line and its tax share, no shipping
    assert level(stack, far_sku, far) == (5, 0, 5)
    assert level(stack, near_sku, near) == (4, 0, 4)


def test_the_webhook_settles_a_pending_refund_and_refuses_a_bad_signature(stack, pay):
    from datetime import UTC, datetime

    from shared.adapters.dynamodb_ledger import DynamoDBLedger
    from shared.domain.refund_ledger import LedgerEntry, RefundReason, RefundStatus

    intent = pay(5000)
    ledger = DynamoDBLedger(
        boto3.client("dynamodb", endpoint_url=stack.info["moto"], region_name=stack.info["region"]),
        stack.info["resources"]["tables"]["ledger"],
    )
    refund_id = f"rf_{uuid.uuid4().hex[:20]}"
    entry = LedgerEntry(
        refund_id,
        "ord_webhook",
        intent,
        1200,
        "USD",
        RefundReason.GOODWILL,
        "ticket-1",
        f"k-{refund_id}",
        RefundStatus.PENDING,
        None,
        None,
        datetime.now(UTC),
        None,
    )
    ledger.open(entry, 5000)
    made = stripe_client(stack).v1.refunds.create(
        params={"payment_intent": intent, "amount": 1200, "metadata": {"refund_id": refund_id}}
    )
    event = {"id": f"evt_{uuid.uuid4().hex}", "type": "refund.updated", "data": {"object": made.to_dict()}}

    forged = stack.call("POST", "/v1/webhooks/stripe", None, **signed(stack, event, secret="whsec_not_ours"))
    assert (forged.status_code, forged.json()["error"]["code"]) == (400, "invalid_signature")
    stale = stack.call("POST", "/v1/webhooks/stripe", None, **signed(stack, event, at=int(time.time()) - 3600))
    assert stale.status_code == 400
    pending = ledger.get(refund_id)
    assert pending is not None
    assert pending.status == RefundStatus.PENDING  # nothing changed

    good = stack.call("POST", "/v1/webhooks/stripe", None, **signed(stack, event))
    assert (good.status_code, good.json().get("settled")) == (200, 1), good.text
    settled_entry = ledger.get(refund_id)
    assert settled_entry is not None
    assert (settled_entry.status, settled_entry.stripe_refund_id) == (RefundStatus.SUCCEEDED, made.id)

    stranger = stripe_client(stack).v1.refunds.create(params={"payment_intent": intent, "amount": 100})
    event = {"id": f"evt_{uuid.uuid4().hex}", "type": "refund.created", "data": {"object": stranger.to_dict()}}
    unknown = stack.call("POST", "/v1/webhooks/stripe", None, **signed(stack, event))
    assert (unknown.status_code, unknown.json().get("unknown")) == (200, 1)


def test_a_return_is_labelled_received_restocked_and_refunded_once(stack, pay):
    sku, other = f"RT-{uuid.uuid4().hex[:6]}", f"RO-{uuid.uuid4().hex[:6]}"
    at = node(stack)
    stock(stack, at, sku, 5)
    stock(stack, at, other, 5)
    lines = [{"sku": sku, "quantity": 2, "unit_amount": 2000}, {"sku": other, "quantity": 1, "unit_amount": 1000}]
    order_id, ref = place(stack, pay, lines, shipping_amount=600, tax_amount=500)
    assert settled(stack, order_id)["status"] == "DELIVERED"
    assert level(stack, sku, at) == (3, 0, 3)

    too_many = stack.call(
        "POST", f"/v1/orders/{order_id}/returns", json={"lines": [{"line_id": "L1", "quantity": 3}], "reason": "x"}
    )
    assert (too_many.status_code, too_many.json()["error"]["code"]) == (409, "exceeds_returnable")
    answer = stack.call(
        "POST",
        f"/v1/orders/{order_id}/returns",
        json={"lines": [{"line_id": "L1", "quantity": 1}], "reason": "too small"},
    )
    assert answer.status_code == 202, answer.text
    rma = answer.json()
    assert (rma["rma_id"], rma["node_id"], rma["status"]) == (f"{order_id}-R1", at, "REQUESTED")

    order = stack.wait_for(
        order_id, lambda o: o["status"] in ("DELIVERED",) and o["returns"][0]["status"] == "REFUNDED"
    )
    [returned] = order["returns"]
    assert returned["label"]["tracking_number"].startswith("1Z")
    assert returned["lines"] == [{"line_id": "L1", "sku": sku, "quantity": 1, "resellable": 1, "damaged": 0}]
    assert level(stack, sku, at) == (4, 0, 4)  # the resellable unit is back on the shelf
    refund = refund_settled(stack, order_id)["refunds"][0]
    # one unit of L1 and its tax share (4000 of 5000 value carries 400 of the 500 tax: 200 per unit); no shipping
    assert (refund["amount"], refund["reason"], refund["status"]) == (2000 + 200, "return", "SUCCEEDED")
    assert len(refunds_at_stripe(stack, order["payment"]["stripe_payment_intent"])) == 1

    # the warehouse's receipt again (a redelivery): nothing more happens
    event = {
        "event_id": f"{rma['rma_id']}-received",
        "type": "return_received",
        "rma_id": rma["rma_id"],
        "node_id": at,
        "occurred_at": "2026-11-22T10:00:00Z",
        "lines": [{"line_id": "L1", "quantity": 1, "condition": "resellable"}],
    }
    again = stack.call("POST", "/v1/fulfillment-events", "admin", json=event)
    assert (again.status_code, again.json()["outcome"]) == (200, "duplicate")
    time.sleep(1)
    assert level(stack, sku, at) == (4, 0, 4)
    assert len(stack.call("GET", f"/v1/orders/{order_id}").json()["refunds"]) == 1
    assert len(refunds_at_stripe(stack, order["payment"]["stripe_payment_intent"])) == 1
    assert any("-refund_issued-" in p.name for p in Path(stack.info["outbox"]).glob("*.eml") if ref in p.read_text())


def test_a_refund_stripe_refuses_is_failed_and_visible_to_ops_and_finance(stack):
    from datetime import UTC, datetime

    from shared.adapters.dynamodb_ledger import DynamoDBLedger
    from shared.domain.refund_ledger import LedgerEntry, RefundReason, RefundStatus

    ledger = DynamoDBLedger(
        boto3.client("dynamodb", endpoint_url=stack.info["moto"], region_name=stack.info["region"]),
        stack.info["resources"]["tables"]["ledger"],
    )
    refund_id, order_id = f"rf_{uuid.uuid4().hex[:20]}", f"ord_{uuid.uuid4().hex[:12]}"
    entry = LedgerEntry(
        refund_id,
        order_id,
        "pi_doesnotexist42",
        700,
        "USD",
        RefundReason.GOODWILL,
        "ticket-9",
        f"k-{refund_id}",
        RefundStatus.PENDING,
        None,
        None,
        datetime.now(UTC),
        None,
    )
    ledger.open(entry, 700)
    lam = boto3.client("lambda", endpoint_url=stack.info["moto"], region_name=stack.info["region"])
    answer = lam.invoke(FunctionName="waybill-pay_refund", Payload=json.dumps({"refund_id": refund_id}))
    # the refunds state machine's PayRefund catches this and records the failure
    assert "FunctionError" in answer
    assert json.loads(answer["Payload"].read())["errorType"] == "RefundRejected"
    for who in ("ops", "finance"):
        listed = stack.call("GET", "/v1/finance/refunds", who, params={"order_id": order_id}).json()["refunds"]
        [failed] = listed
        assert (failed["refund_id"], failed["status"]) == (refund_id, "FAILED")
        assert failed["failure_reason"]
    assert ledger.totals("pi_doesnotexist42")[1] == 0  # the failed amount no longer counts against the capture


def test_cancelling_an_order_held_for_payment_gives_back_what_was_taken(stack, pay):
    from tests.unit.builders import capture_body

    intent = pay(1000)  # the order costs 1500: held, but the customer did pay 1000
    body = capture_body(
        external_id=f"HOLD-{uuid.uuid4().hex[:8]}",
        lines=[{"sku": "MUG", "quantity": 1, "unit_amount": 1500}],
        shipping_amount=0,
        tax_amount=0,
        payment={"stripe_payment_intent": intent},
    )
    order_id = stack.call("POST", "/v1/orders", json=body).json()["order_id"]
    stack.wait_for(order_id, lambda o: o["status"] == "ON_HOLD")
    assert cancel(stack, order_id, who="ops").status_code == 202
    refund = refund_settled(stack, order_id)["refunds"][0]
    assert (refund["amount"], refund["status"]) == (1000, "SUCCEEDED")
    assert [r["amount"] for r in refunds_at_stripe(stack, intent)] == [1000]


def test_the_sweep_pays_or_settles_refunds_left_pending_and_never_pays_twice(stack, pay):
    from datetime import UTC, datetime, timedelta

    from shared.adapters.dynamodb_ledger import DynamoDBLedger
    from shared.domain.refund_ledger import LedgerEntry, RefundReason, RefundStatus

    ledger = DynamoDBLedger(
        boto3.client("dynamodb", endpoint_url=stack.info["moto"], region_name=stack.info["region"]),
        stack.info["resources"]["tables"]["ledger"],
    )
    intent = pay(3000)
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    unpaid, paid = (f"rf_{uuid.uuid4().hex[:20]}" for _ in range(2))
    for refund_id in (unpaid, paid):
        entry = LedgerEntry(
            refund_id,
            f"ord_{uuid.uuid4().hex[:12]}",
            intent,
            1000,
            "USD",
            RefundReason.CANCELLATION,
            refund_id,
            f"k-{refund_id}",
            RefundStatus.PENDING,
            None,
            None,
            hour_ago,
            None,
        )
        ledger.open(entry, 3000)
    # the crash case: Stripe made this one, the ledger never heard
    stripe_client(stack).v1.refunds.create(
        params={"payment_intent": intent, "amount": 1000, "metadata": {"refund_id": paid}}
    )
    lam = boto3.client("lambda", endpoint_url=stack.info["moto"], region_name=stack.info["region"])
    for _ in range(2):
        answer = lam.invoke(FunctionName="waybill-sweep_refunds", Payload=b"{}")
        assert "FunctionError" not in answer
    deadline = time.monotonic() + 60
    while any(ledger.get(r).status == RefundStatus.PENDING for r in (unpaid, paid)):  # type: ignore[union-attr]
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert [ledger.get(r).status for r in (unpaid, paid)] == [RefundStatus.SUCCEEDED] * 2  # type: ignore[union-attr]
    at_stripe = refunds_at_stripe(stack, intent)
    assert sorted(r["metadata"]["refund_id"] for r in at_stripe) == sorted([unpaid, paid])  # one each


def test_an_authorization_is_captured_when_goods_leave_and_released_when_cancelled(stack, pay):
    sku = f"AU-{uuid.uuid4().hex[:6]}"
    at = node(stack)
    stock(stack, at, sku, 5)

    def authorize(amount):
        return pay(amount, capture=False)

    shipped_id, _ = place(stack, authorize, [{"sku": sku, "quantity": 1, "unit_amount": 2500}])
    held_id, _ = place(stack, authorize, [{"sku": sku, "quantity": 1, "unit_amount": 2500}], line2="sim:silent")

    shipped = settled(stack, shipped_id)
    assert shipped["status"] == "DELIVERED"
    assert "payment_captured" in [h["event"] for h in shipped["history"]]
    intent = stripe_client(stack).v1.payment_intents.retrieve(shipped["payment"]["stripe_payment_intent"])
    assert intent.status == "succeeded"

    stack.wait_for(held_id, lambda o: o["status"] == "RELEASED")
    assert cancel(stack, held_id).status_code == 202
    released = stack.wait_for(held_id, lambda o: "authorization_released" in [h["event"] for h in o["history"]])
    assert released["refunds"] == []  # nothing was taken, so nothing is refunded
    held_intent = stripe_client(stack).v1.payment_intents.retrieve(released["payment"]["stripe_payment_intent"])
    assert held_intent.status == "canceled"
    assert level(stack, sku, at) == (4, 0, 4)

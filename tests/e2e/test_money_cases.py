"""Issue 11 on the embedded stack: a PaymentIntent pays for one order (case 1), a payment in another
currency is refunded in it (case 5), amounts Stripe cannot charge are refused (case 7), signed but
malformed or future webhooks are 400 (case 15), fulfilment events' id reuse and times (case 16)."""

import time
import uuid
from datetime import datetime, timedelta

import pytest

from tests.e2e.test_fulfilment import node, now, place, stock
from tests.e2e.test_refunds import cancel, refund_settled, refunds_at_stripe, signed
from tests.unit.builders import GRAND_TOTAL, capture_body

pytestmark = pytest.mark.e2e


def test_a_payment_intent_backs_one_order_and_a_second_naming_it_is_held(stack, pay, stocked):
    intent = pay(GRAND_TOTAL)
    placed = []
    for channel in ("web", "pos"):
        body = capture_body(external_id=f"PI-{uuid.uuid4().hex[:8]}", payment={"stripe_payment_intent": intent})
        answer = stack.call("POST", "/v1/orders", channel, json=body)
        assert answer.status_code == 202, answer.text
        placed.append((channel, answer.json()["order_id"]))
    decided = [stack.wait_for(oid, lambda o: o["payment"]["check"] != "pending", who=ch) for ch, oid in placed]
    held = [o for o in decided if o["status"] == "ON_HOLD"]
    assert len(held) == 1, [(o["status"], o["payment"]) for o in decided]
    assert held[0]["payment"]["hold_code"] == "payment_already_used"
    [paid] = [o for o in decided if o is not held[0]]
    assert paid["payment"]["check"] == "verified"
    assert paid["order_id"] in held[0]["payment"]["hold_reason"]
    time.sleep(2)  # nothing further happens to the held one: no shipment, ever
    channel = next(ch for ch, oid in placed if oid == held[0]["order_id"])
    again = stack.call("GET", f"/v1/orders/{held[0]['order_id']}", channel).json()
    assert (again["status"], again["shipments"]) == ("ON_HOLD", [])
    # cancelling the held one gives nothing back: the money pays for the other order
    assert cancel(stack, held[0]["order_id"], who="ops").status_code == 202
    time.sleep(2)
    assert refunds_at_stripe(stack, intent) == []


def test_a_held_order_paid_in_another_currency_is_refunded_what_was_taken_in_it(stack, pay):
    intent = pay(900, "eur")
    body = capture_body(
        external_id=f"EUR-{uuid.uuid4().hex[:8]}",
        lines=[{"sku": "MUG", "quantity": 1, "unit_amount": 1500}],
        shipping_amount=0,
        tax_amount=0,
        payment={"stripe_payment_intent": intent},
    )
    order_id = stack.call("POST", "/v1/orders", json=body).json()["order_id"]
    held = stack.wait_for(order_id, lambda o: o["status"] == "ON_HOLD")
    assert held["payment"]["hold_code"] == "payment_currency_mismatch"
    assert cancel(stack, order_id, who="ops").status_code == 202
    [refund] = refund_settled(stack, order_id)["refunds"]
    assert (refund["amount"], refund["currency"], refund["status"]) == (900, "EUR", "SUCCEEDED")
    assert [(r["amount"], r["currency"]) for r in refunds_at_stripe(stack, intent)] == [(900, "eur")]


def test_an_amount_stripe_cannot_charge_is_refused_at_capture(stack):
    body = capture_body(
        external_id=f"ISK-{uuid.uuid4().hex[:8]}",
        currency="ISK",
        lines=[{"sku": "MUG", "quantity": 1, "unit_amount": 12345}],
        shipping_amount=0,
        tax_amount=0,
    )
    answer = stack.call("POST", "/v1/orders", json=body)
    assert answer.status_code == 422, answer.text
    assert "multiple of 100" in answer.text


@pytest.mark.parametrize(
    "data",
    [
        {"object": [{"id": "re_1"}]},  # data.object a list
        {"object": {"id": "re_2", "currency": "usd", "status": "succeeded", "created": 1700000000}},  # no amount
        {"object": {"id": "re_3", "amount": "lots", "currency": "usd", "status": "succeeded", "created": 1}},
    ],
    ids=["object-is-a-list", "refund-without-amount", "amount-not-a-number"],
)
def test_a_signed_but_malformed_webhook_is_400_not_500(stack, data):
    event = {"id": f"evt_{uuid.uuid4().hex}", "type": "refund.updated", "data": data}
    answer = stack.call("POST", "/v1/webhooks/stripe", None, **signed(stack, event))
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "malformed_event"), answer.text


def test_a_webhook_signed_in_the_future_is_refused(stack):
    event = {"id": f"evt_{uuid.uuid4().hex}", "type": "refund.updated", "data": {"object": {}}}
    answer = stack.call("POST", "/v1/webhooks/stripe", None, **signed(stack, event, at=int(time.time()) + 3600))
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "invalid_signature"), answer.text


def test_an_event_id_reused_for_another_event_is_409_and_impossible_times_are_422(stack, pay):
    sku = f"EI-{uuid.uuid4().hex[:6]}"
    at = node(stack)
    stock(stack, at, sku, 3)
    order_id, _ = place(stack, pay, [{"sku": sku, "quantity": 1, "unit_amount": 500}], line2="sim:silent")
    order = stack.wait_for(order_id, lambda o: o["shipments"] and o["shipments"][0]["documents"])
    mine = {"shipment_id": order["shipments"][0]["shipment_id"], "node_id": at}

    def send(event_id, occurred_at, kind):
        body = {"event_id": event_id, "occurred_at": occurred_at, "type": kind, **mine}
        return stack.call("POST", "/v1/fulfillment-events", "admin", json=body)

    def code(answer):
        return answer.status_code, answer.json()["error"]["code"]

    assert code(send("ei-1", "9999-12-31T00:00:00Z", "accepted")) == (422, "validation_failed")
    created = datetime.fromisoformat(order["created_at"])
    assert code(send("ei-1", (created - timedelta(days=2)).isoformat(), "accepted")) == (422, "validation_failed")
    assert send("ei-1", now(), "accepted").json()["outcome"] == "applied"
    assert code(send("ei-1", now(), "picked")) == (409, "event_id_conflict")
    assert stack.call("GET", f"/v1/orders/{order_id}").json()["shipments"][0]["status"] == "ACCEPTED"
    assert send("ei-2", now(), "picked").json()["outcome"] == "applied"  # the same event, its own id

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.unit.builders import GRAND_TOTAL, capture_body

pytestmark = pytest.mark.e2e


def body(pay, **overrides):
    return capture_body(
        external_id=f"E2E-{uuid.uuid4().hex[:10]}",
        payment={"stripe_payment_intent": pay(GRAND_TOTAL)},
        **overrides,
    )


def test_a_paid_order_is_captured_checked_confirmed_once_and_reserved(stack, pay, stocked):
    sent = body(pay)
    answer = stack.call("POST", "/v1/orders", json=sent)
    assert answer.status_code == 202, answer.text
    order = answer.json()
    assert answer.headers["Location"] == f"/v1/orders/{order['order_id']}"
    assert (order["status"], order["totals"]["grand_total"]) == ("RECEIVED", GRAND_TOTAL)
    execution = order["executions"][0]
    assert execution["arn"].endswith(":" + order["order_id"])
    assert execution["console_url"] is None  # an emulator's execution: no AWS console shows it

    done = stack.wait_for(order["order_id"], lambda o: o["routing"] is not None)
    assert done["payment"]["check"] == "verified"
    assert [h["event"] for h in done["history"]][:5] == [
        "captured",
        "execution_started",
        "payment_verified",
        "confirmation_sent",
        "reserved",
    ]
    # the simulated warehouse takes it from here (tests/e2e/test_fulfilment.py)
    assert done["status"] not in ("RECEIVED", "ON_HOLD", "BACKORDERED", "EXCEPTION")
    assert {a["node_id"] for a in done["routing"]["allocations"]} == {stocked}

    def mails():
        return [
            p
            for p in Path(stack.info["outbox"]).glob("*.eml")
            if sent["external_id"] in p.read_text() and "is confirmed" in p.read_text()
        ]

    deadline = time.monotonic() + 10  # the outbox writes what SES accepted a moment later
    while not mails() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # and nothing more arrives after it
    assert len(mails()) == 1
    assert "To: ada@example.com" in mails()[0].read_text()


def test_an_underpaid_order_goes_on_hold_with_the_reason(stack, pay):
    sent = capture_body(
        external_id=f"E2E-{uuid.uuid4().hex[:10]}", payment={"stripe_payment_intent": pay(GRAND_TOTAL - 1)}
    )
    order_id = stack.call("POST", "/v1/orders", json=sent).json()["order_id"]
    held = stack.wait_for(order_id, lambda o: o["status"] != "RECEIVED")
    assert held["status"] == "ON_HOLD"
    assert f"order total is {GRAND_TOTAL}" in held["payment"]["hold_reason"]
    assert not held["confirmation_sent"]


def test_wrong_currency_and_unknown_intent_are_held(stack, pay):
    eur = capture_body(
        external_id=f"E2E-{uuid.uuid4().hex[:10]}", payment={"stripe_payment_intent": pay(GRAND_TOTAL, "eur")}
    )
    missing = capture_body(
        external_id=f"E2E-{uuid.uuid4().hex[:10]}", payment={"stripe_payment_intent": "pi_doesnotexist123"}
    )
    reasons = []
    for sent in (eur, missing):
        order_id = stack.call("POST", "/v1/orders", json=sent).json()["order_id"]
        reasons.append(stack.wait_for(order_id, lambda o: o["status"] == "ON_HOLD")["payment"]["hold_reason"])
    assert "currency EUR does not match" in reasons[0]
    assert "does not exist" in reasons[1]


def test_replay_returns_the_first_answer_and_a_changed_body_conflicts(stack, pay):
    sent = body(pay)
    first = stack.call("POST", "/v1/orders", json=sent)
    again = stack.call("POST", "/v1/orders", json=sent)
    assert again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert again.json() == first.json()
    changed = stack.call("POST", "/v1/orders", json={**sent, "tax_amount": 1})
    assert changed.status_code == 409
    assert changed.json()["error"]["code"] == "idempotency_conflict"


def test_fifty_parallel_identical_requests_create_exactly_one_order(stack, pay):
    sent = body(pay)
    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(lambda _: stack.call("POST", "/v1/orders", json=sent), range(50)))
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["order_id"] for a in answers}) == 1
    assert sum("Idempotent-Replayed" not in a.headers for a in answers) == 1
    found = stack.call("GET", "/v1/orders", params={"external_id": sent["external_id"]}).json()["orders"]
    assert len(found) == 1


def test_a_channel_sees_only_its_own_orders(stack, pay):
    order_id = stack.call("POST", "/v1/orders", json=body(pay)).json()["order_id"]
    other = stack.call("GET", f"/v1/orders/{order_id}", who="pos")
    missing = stack.call("GET", "/v1/orders/ord_00000000000000000000000000", who="pos")
    assert other.status_code == missing.status_code == 404
    assert other.json()["error"] == {**missing.json()["error"], "message": other.json()["error"]["message"]}
    assert stack.call("GET", f"/v1/orders/{order_id}", who="ops").status_code == 200
    assert stack.call("GET", f"/v1/orders/{order_id}", who="finance").status_code == 200


def test_lookup_by_external_id_is_per_channel(stack, pay):
    sent = body(pay)
    order_id = stack.call("POST", "/v1/orders", json=sent).json()["order_id"]
    mine = stack.call("GET", "/v1/orders", params={"external_id": sent["external_id"]}).json()
    theirs = stack.call("GET", "/v1/orders", who="pos", params={"external_id": sent["external_id"]}).json()
    assert [o["order_id"] for o in mine["orders"]] == [order_id]
    assert theirs == {"orders": [], "next": None}
    # ops and finance name the channel the external_id belongs to
    found = stack.call("GET", "/v1/orders", who="ops", params={"external_id": sent["external_id"], "channel": "web"})
    assert [o["order_id"] for o in found.json()["orders"]] == [order_id]
    unnamed = stack.call("GET", "/v1/orders", who="finance", params={"external_id": sent["external_id"]})
    assert (unnamed.status_code, unnamed.json()["error"]["details"][0]["field"]) == (422, "channel")


def test_function_logs_carry_no_personal_data(stack, pay):
    order_id = stack.call("POST", "/v1/orders", json=body(pay)).json()["order_id"]
    stack.wait_for(order_id, lambda o: o["confirmation_sent"])
    log = Path(stack.info["function_log"]).read_text()
    assert order_id in log  # the log is there and names the order
    for personal in ("ada@example.com", "Ada Lovelace", "+1 555 0100", "1 Main St", "73301"):
        assert personal not in log, personal

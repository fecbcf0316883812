"""A state-machine task run again (a Step Functions retry, a redelivery) must not act twice.

The tasks are invoked again through the emulated Lambda Invoke API, which runs the same handler
code that the state machine ran.
"""

import json
import time
import uuid
from pathlib import Path

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
    assert after["history"] == order["history"]

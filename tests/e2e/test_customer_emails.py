"""The customer hears of a cancellation, an opened return (with its label) and a delivery problem,
each once, in mail a client shows properly (RFC 5322 Date, the shop in From, product names)."""

from __future__ import annotations

import email
import time
import uuid
from email import policy
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
import requests

from tests.e2e.test_fulfilment import node, place, settled, stock

pytestmark = pytest.mark.e2e


def mails(stack, ref, subject_part, want=1, timeout_s=15.0):
    """The outbox's mails about `ref` whose subject has `subject_part`, once `want` arrived (and a
    moment passed in which a second would have shown)."""

    def found():
        out = []
        for p in sorted(Path(stack.info["outbox"]).glob("*.eml")):
            message = email.message_from_bytes(p.read_bytes(), policy=policy.default)
            if ref in str(message["Subject"]) and subject_part in str(message["Subject"]):
                out.append(message)
        return out

    deadline = time.monotonic() + timeout_s
    while len(found()) < want and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)
    return found()


def text_of(message):
    return message.get_body(("plain",)).get_content()


def test_a_cancellation_is_emailed_once_however_often_asked(stack, pay):
    # no node stocks the sku: the order waits as a backorder and is cancelled before anything ships
    name = "Unobtainable lamp"
    lines = [{"sku": f"CX-{uuid.uuid4().hex[:6]}", "quantity": 1, "unit_amount": 2500, "name": name}]
    order_id, ref = place(stack, pay, lines, shipping_amount=500)
    stack.wait_for(order_id, lambda o: o["status"] == "BACKORDERED")
    for _ in range(2):
        answer = stack.call("POST", f"/v1/orders/{order_id}/cancel", json={"reason": "changed my mind"})
        assert answer.status_code == 202, answer.text
    [mail] = mails(stack, ref, "is cancelled")
    assert name in text_of(mail)
    assert "refunded to your card" in text_of(mail)
    assert mail["From"].addresses[0].display_name == "Waybill Demo Shop"
    assert parsedate_to_datetime(str(mail["Date"])).tzinfo is not None
    events = [h["event"] for h in stack.call("GET", f"/v1/orders/{order_id}").json()["history"]]
    assert events.count("email_cancelled") == 1


def test_a_delivery_exception_is_emailed_once(stack, pay):
    sku = f"DX-{uuid.uuid4().hex[:6]}"
    at = node(stack)
    stock(stack, at, sku, 3)
    lines = [{"sku": sku, "quantity": 1, "unit_amount": 800, "name": "Fragile vase"}]
    order_id, ref = place(stack, pay, lines, line2="sim:delivery-exception")
    assert settled(stack, order_id)["status"] == "DELIVERED"
    [mail] = mails(stack, ref, "problem delivering")
    text = text_of(mail)
    assert "address not found" in text
    assert "Fragile vase" in text
    assert at not in text
    assert order_id not in text


def test_an_opened_return_emails_its_label_once(stack, pay):
    sku = f"RL-{uuid.uuid4().hex[:6]}"
    at = node(stack)
    stock(stack, at, sku, 3)
    order_id, ref = place(stack, pay, [{"sku": sku, "quantity": 2, "unit_amount": 1500, "name": "Wool socks"}])
    assert settled(stack, order_id)["status"] == "DELIVERED"
    rma = {"lines": [{"line_id": "L1", "quantity": 1}], "reason": "too small"}
    assert stack.call("POST", f"/v1/orders/{order_id}/returns", json=rma).status_code == 202
    [mail] = mails(stack, ref, "print your label", timeout_s=30)
    text = text_of(mail)
    assert "Wool socks" in text
    link = next(line.strip() for line in text.splitlines() if line.strip().startswith("http"))
    pdf = requests.get(link, timeout=30)
    assert (pdf.status_code, pdf.content[:4]) == (200, b"%PDF")
    order = stack.call("GET", f"/v1/orders/{order_id}").json()
    assert order["returns"][0]["label"]["tracking_number"] in text

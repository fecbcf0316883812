"""Orders go all the way: released to their node, picked and packed by the simulated warehouse,
labelled by the sandbox carrier, shipped, tracked and delivered; and every way that can fail."""

import json
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pymupdf
import pytest
import requests

from shared.adapters.dynamodb_keys import DynamoDBKeys
from shared.domain.principal import Kind
from shared.domain.tracking import is_valid_ups_tracking
from shared.usecases.keys import create_key
from tests.e2e.queue_reads import queued
from tests.unit.builders import capture_body

pytestmark = pytest.mark.e2e

AUSTIN = {"lat": 30.27, "lon": -97.74}
DALLAS = {"lat": 32.78, "lon": -96.80}


def now():
    """Events happen after their order was captured, and not in the future."""
    return datetime.now(UTC).isoformat()


def node(stack, kind="warehouse", where=AUSTIN, **extra):
    node_id = f"f-{uuid.uuid4().hex[:8]}"
    body = {"kind": kind, "address": where, **extra}
    assert stack.call("PUT", f"/v1/nodes/{node_id}", "admin", json=body).status_code == 201
    return node_id


def stock(stack, node_id, sku, quantity):
    receipt = {"reference": f"r-{uuid.uuid4().hex}", "node_id": node_id, "type": "receipt"}
    receipt["lines"] = [{"sku": sku, "quantity": quantity}]
    assert stack.call("POST", "/v1/inventory/adjustments", "admin", json=receipt).status_code == 200


def level(stack, sku, node_id):
    levels = stack.call("GET", f"/v1/inventory/{sku}", "ops").json()["nodes"]
    found = next(x for x in levels if x["node_id"] == node_id)
    return found["on_hand"], found["reserved"], found["available"]


def level_after_compensation(stack, sku, node_id, want, timeout_s=30.0):
    """The level once compensation has settled the stock: it records the exception first, then
    releases, so an order seen in EXCEPTION may still hold its units for a moment."""
    deadline = time.monotonic() + timeout_s
    while (found := level(stack, sku, node_id)) != want and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


def place(stack, pay, lines, line2=None, shipping_amount=0, tax_amount=0, **extra):
    ship_to = {**capture_body()["ship_to"], **AUSTIN}
    if line2:
        ship_to["line2"] = line2
    total = sum(line["quantity"] * line["unit_amount"] for line in lines) + shipping_amount + tax_amount
    body = capture_body(
        external_id=f"F-{uuid.uuid4().hex[:10]}",
        lines=lines,
        ship_to=ship_to,
        shipping_amount=shipping_amount,
        tax_amount=tax_amount,
        payment={"stripe_payment_intent": pay(total)},
        **extra,
    )
    answer = stack.call("POST", "/v1/orders", json=body)
    assert answer.status_code == 202, answer.text
    return answer.json()["order_id"], body["external_id"]


def keep_waiting(stack, order_id, node_id, done, timeout_s=60):
    """Keeps a silent node's shipment alive (a redelivered `accepted` is a heartbeat) until `done(order)`:
    a busy machine may take longer than the 8 s heartbeat to ship the order's other shipment."""
    order = stack.wait_for(order_id, lambda o: any(s["node_id"] == node_id for s in o["shipments"]))
    silent = next(s["shipment_id"] for s in order["shipments"] if s["node_id"] == node_id)
    accepted = {"event_id": f"{silent}-accepted", "type": "accepted", "shipment_id": silent, "node_id": node_id}
    # now, after the order's capture: events dated before it are refused (422)
    accepted["occurred_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    deadline = time.monotonic() + timeout_s
    while not done(order):
        assert time.monotonic() < deadline, order
        assert stack.call("POST", "/v1/fulfillment-events", "admin", json=accepted).status_code == 200
        time.sleep(2)
        order = stack.call("GET", f"/v1/orders/{order_id}").json()
    return order


def settled(stack, order_id, timeout_s=90):
    return stack.wait_for(order_id, lambda o: o["status"] in ("DELIVERED", "EXCEPTION"), timeout_s=timeout_s)


def delivered_one(stack, pay, prefix, unit_amount):
    """One unit of a new sku ordered from a new node and delivered: (order id, node id)."""
    sku = f"{prefix}-{uuid.uuid4().hex[:6]}"
    at = node(stack)
    stock(stack, at, sku, 5)
    order_id, _ = place(stack, pay, [{"sku": sku, "quantity": 1, "unit_amount": unit_amount}])
    assert settled(stack, order_id)["status"] == "DELIVERED"
    return order_id, at


def mails_about(stack, external_id):
    return sorted(
        text for p in Path(stack.info["outbox"]).glob("*.eml") if external_id in (text := p.read_text(errors="replace"))
    )


def subsequence(wanted, events):
    it = iter(events)
    return all(any(e == w for e in it) for w in wanted)


def test_an_order_ships_and_is_delivered_with_one_email_per_step(stack, pay):
    sku = f"SHIP-{uuid.uuid4().hex[:6]}"
    at = node(stack)
    stock(stack, at, sku, 10)
    order_id, ref = place(stack, pay, [{"sku": sku, "quantity": 3, "unit_amount": 700}])

    order = settled(stack, order_id)
    assert order["status"] == "DELIVERED", order["exception_cause"]
    [shipment] = order["shipments"]
    assert (shipment["node_id"], shipment["status"], shipment["method"]) == (at, "DELIVERED", "ship")
    assert shipment["parcel"]["weight_grams"] > 0
    label = shipment["label"]
    assert is_valid_ups_tracking(label["tracking_number"])
    assert label["tracking_number"] in label["tracking_url"]
    pdf = requests.get(label["download_url"], timeout=30)
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    for kind in ("pick_list", "packing_slip"):
        page = requests.get(shipment["documents"][kind], timeout=30)
        assert page.status_code == 200
        assert ref in page.text
        assert sku in page.text

    events = [h["event"] for h in order["history"]]
    assert subsequence(
        [
            "reserved",
            "released",
            "shipment_accepted",
            "shipment_picked",
            "shipment_packed",
            "label_bought",
            "shipment_shipped",
            "shipped",
            "email_shipped",
            "shipment_in_transit",
            "shipment_out_for_delivery",
            "shipment_delivered",
            "delivered",
        ],
        events,
    ), events

    # stock left the building: on hand down by what shipped, nothing still reserved
    assert level(stack, sku, at) == (7, 0, 7)
    order = stack.wait_for(order_id, lambda o: "email_delivered" in [h["event"] for h in o["history"]])
    events = [h["event"] for h in order["history"]]
    assert events.count("email_shipped") == events.count("email_delivered") == 1
    deadline = time.monotonic() + 10  # the outbox writes what SES accepted a moment later
    while len(mails := mails_about(stack, ref)) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(mails) == 3  # confirmed, shipped (with the tracking link), delivered
    shipped = next(m for m in mails if "has shipped" in m)
    assert label["tracking_number"] in shipped
    # the documents folder holds the label as the bucket does (copied within a second or so)
    copy = Path(stack.info["documents"]) / "labels" / f"{shipment['shipment_id']}.pdf"
    deadline = time.monotonic() + 10
    while not copy.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert copy.read_bytes() == pdf.content


def moto(stack, service):
    return boto3.client(service, endpoint_url=stack.info["moto"], region_name=stack.info["region"])


def node_queue(stack, node_id):
    """A warehouse integration's own queue, subscribed to the fulfilment topic for its node only."""
    sqs = moto(stack, "sqs")
    url = sqs.create_queue(QueueName=f"e2e-wms-{node_id}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    moto(stack, "sns").subscribe(
        TopicArn=stack.info["resources"]["topics"]["fulfilment"],
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"FilterPolicy": json.dumps({"node_id": [node_id]}), "RawMessageDelivery": "true"},
    )

    def received():
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]

    return received


def test_the_node_is_sent_its_label_and_reads_it_from_its_own_address(stack, pay):
    sku = f"LBL-{uuid.uuid4().hex[:6]}"
    street = {"line1": "77 Depot Rd", "city": "Round Rock", "region": "TX", "postal_code": "78664", "country": "US"}
    at = node(stack, name="Round Rock DC", where={**AUSTIN, **street})
    mine, someone_elses = node_queue(stack, at), node_queue(stack, f"other-{at}")
    stock(stack, at, sku, 2)
    order_id, _ = place(stack, pay, [{"sku": sku, "quantity": 1, "unit_amount": 700}])
    order = settled(stack, order_id)
    assert order["status"] == "DELIVERED", order["exception_cause"]
    [shipment] = order["shipments"]
    received = mine()
    assert {m["type"] for m in received} == {"fulfilment_request", "label_ready"}, received
    assert {m["node_id"] for m in received} == {at}
    assert someone_elses() == []
    label = next(m for m in received if m["type"] == "label_ready")
    assert label["tracking_number"] == shipment["label"]["tracking_number"]
    # the link never expires: the node's own warehouse key gets a freshly presigned download
    keys = DynamoDBKeys(moto(stack, "dynamodb"), stack.info["resources"]["tables"]["api_keys"])
    auth = {"Authorization": f"Bearer {create_key(keys, Kind.WAREHOUSE, f'wms-{at}', (at,))[0]}"}
    redirect = requests.get(stack.api + label["links"]["label"], headers=auth, allow_redirects=False, timeout=30)
    assert redirect.status_code == 302, redirect.text
    pdf = requests.get(redirect.headers["Location"], timeout=30).content
    sender = pymupdf.open(stream=pdf, filetype="pdf")[0].get_text().split("SHIP TO")[0]
    for expected in ("Round Rock DC", "77 Depot Rd", "Round Rock TX 78664"):
        assert expected in sender
    read = requests.get(stack.api + f"/v1/shipments/{shipment['shipment_id']}", headers=auth, timeout=30)
    assert read.status_code == 200
    assert read.json()["label"]["tracking_number"] == label["tracking_number"]
    # the seeded warehouse key acts for dc-east and dc-west only
    assert stack.call("GET", f"/v1/shipments/{shipment['shipment_id']}", "warehouse").status_code == 404


def test_a_split_order_and_a_pickup_order_are_delivered(stack, pay):
    hoodie, mug = f"HD-{uuid.uuid4().hex[:6]}", f"MG-{uuid.uuid4().hex[:6]}"
    store = node(stack, kind="store", where=DALLAS, pickup=True)
    dc = node(stack)
    stock(stack, store, hoodie, 5)
    stock(stack, dc, mug, 5)

    split_id, _ = place(
        stack,
        pay,
        [{"sku": hoodie, "quantity": 1, "unit_amount": 5900}, {"sku": mug, "quantity": 2, "unit_amount": 900}],
    )
    pickup_id, pickup_ref = place(
        stack,
        pay,
        [{"sku": hoodie, "quantity": 2, "unit_amount": 5900}],
        delivery={"method": "pickup", "pickup_node": store, "service_level": "standard"},
    )
    split = settled(stack, split_id)
    assert split["status"] == "DELIVERED", split["exception_cause"]
    assert {(s["node_id"], s["status"]) for s in split["shipments"]} == {(store, "DELIVERED"), (dc, "DELIVERED")}
    statuses = [h["status"] for h in split["history"] if h["event"] in ("partially_shipped", "shipped", "delivered")]
    assert statuses[-1] == "DELIVERED"

    pickup = settled(stack, pickup_id)
    assert pickup["status"] == "DELIVERED", pickup["exception_cause"]
    [collected] = pickup["shipments"]
    assert (collected["method"], collected["label"]) == ("pickup", None)
    events = [h["event"] for h in pickup["history"]]
    assert subsequence(["shipment_packed", "shipment_ready_for_pickup", "shipment_collected", "delivered"], events), (
        events
    )
    assert level(stack, hoodie, store) == (2, 0, 2)  # 1 shipped, 2 collected
    assert level(stack, mug, dc) == (3, 0, 3)
    stack.wait_for(pickup_id, lambda o: "email_delivered" in [h["event"] for h in o["history"]])
    assert any("ready for pickup" in m for m in mails_about(stack, pickup_ref))


def test_a_rejected_shipment_is_rerouted_to_another_node(stack, pay):
    sku = f"RJ-{uuid.uuid4().hex[:6]}"
    near, far = node(stack, where=AUSTIN), node(stack, where=DALLAS)
    stock(stack, near, sku, 4)
    stock(stack, far, sku, 4)
    order_id, _ = place(stack, pay, [{"sku": sku, "quantity": 2, "unit_amount": 500}], line2=f"sim:reject@{near}")

    order = settled(stack, order_id)
    assert order["status"] == "DELIVERED", order["exception_cause"]
    first, second = order["shipments"]
    assert (first["node_id"], first["status"], first["rejected_reason"]) == (near, "REJECTED", first["rejected_reason"])
    assert first["rejected_reason"]
    assert (second["node_id"], second["status"], second["replaces"]) == (far, "DELIVERED", first["shipment_id"])
    assert level(stack, sku, near) == (4, 0, 4)  # the rejecting node's units went back on the shelf
    assert level(stack, sku, far) == (2, 0, 2)


@pytest.mark.parametrize(
    ("hint", "cause"),
    [
        ("sim:reject", "ShipmentUnroutable"),  # rejected, and no other node has the stock
        ("sim:silent", "Timeout"),  # the warehouse never answers (heartbeat)
        ("sim:carrier-down", "CarrierUnavailable"),  # the carrier fails every retry
    ],
)
def test_a_failed_fulfilment_goes_to_exception_and_gives_the_stock_back(stack, pay, hint, cause):
    sku = f"EX-{uuid.uuid4().hex[:6]}"
    at = node(stack)
    stock(stack, at, sku, 5)
    order_id, _ = place(stack, pay, [{"sku": sku, "quantity": 2, "unit_amount": 500}], line2=hint)

    order = settled(stack, order_id, timeout_s=120)
    assert order["status"] == "EXCEPTION"
    assert cause in order["exception_cause"]
    assert level_after_compensation(stack, sku, at, (5, 0, 5)) == (5, 0, 5)
    ops_view = stack.call("GET", f"/v1/orders/{order_id}", "ops").json()
    assert ops_view["exception_cause"] == order["exception_cause"]
    kind = "carrier_refused" if cause == "CarrierUnavailable" else "fulfilment_failed"
    entry = queued(stack, order_id, kind)  # in the exception queue, under its type
    assert entry is not None
    assert (entry["reason"], entry["actions"]) == (order["exception_cause"], ["retry", "reroute", "cancel"])


def post_event(stack, who, **event):
    body = {"event_id": f"ev-{uuid.uuid4().hex}", "occurred_at": now(), **event}
    return stack.call("POST", "/v1/fulfillment-events", who, json=body)


def test_the_events_api_applies_steps_in_order_and_refuses_the_rest(stack, pay):
    sku = f"EV-{uuid.uuid4().hex[:6]}"
    at = node(stack)
    stock(stack, at, sku, 5)
    # the simulated warehouse stays silent: this test is the warehouse, through the API
    order_id, _ = place(stack, pay, [{"sku": sku, "quantity": 1, "unit_amount": 500}], line2="sim:silent")
    order = stack.wait_for(order_id, lambda o: o["shipments"] and o["shipments"][0]["documents"])
    shipment_id = order["shipments"][0]["shipment_id"]
    mine = {"shipment_id": shipment_id, "node_id": at}

    def error(answer, status):
        assert answer.status_code == status, answer.text
        return answer.json()["error"]["code"]

    assert error(post_event(stack, "admin", type="accepted", shipment_id="ord_0000000000-S1", node_id=at), 404)
    # the seeded warehouse key acts for dc-east and dc-west only: this shipment does not exist for it
    assert error(post_event(stack, "warehouse", type="accepted", **mine), 404) == "not_found"
    assert error(post_event(stack, "admin", type="accepted", shipment_id=shipment_id, node_id="dc-east"), 409) == (
        "wrong_node"
    )
    assert error(post_event(stack, "admin", type="picked", **mine), 409) == "out_of_order"
    assert error(post_event(stack, "carrier", type="accepted", **mine), 409) == "wrong_sender"
    assert error(post_event(stack, "admin", type="packed", **mine), 422) == "validation_failed"
    assert error(post_event(stack, "admin", type="teleported", **mine), 422) == "validation_failed"
    assert error(post_event(stack, "web", type="accepted", **mine), 403)

    accepted = {"event_id": f"wh-{uuid.uuid4().hex}", "occurred_at": now(), "type": "accepted"}
    first = stack.call("POST", "/v1/fulfillment-events", "admin", json={**accepted, **mine})
    assert (first.status_code, first.json()["outcome"]) == (200, "applied")
    again = stack.call("POST", "/v1/fulfillment-events", "admin", json={**accepted, **mine})
    assert (again.status_code, again.json()["outcome"]) == (200, "duplicate")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert error(post_event(stack, "admin", type="accepted", **mine), 409) == "stale_event"

    assert post_event(stack, "admin", type="picked", **mine).status_code == 200
    parcel = {"weight_grams": 900, "length_cm": 20, "width_cm": 15, "height_cm": 10}
    packed = post_event(stack, "admin", type="packed", parcel=parcel, **mine)
    assert packed.status_code == 200, packed.text
    # the state machine carries on: label, hand-over, and the simulated carrier delivers
    order = settled(stack, order_id)
    assert order["status"] == "DELIVERED", order["exception_cause"]
    tracking = order["shipments"][0]["label"]["tracking_number"]
    assert (
        error(
            post_event(
                stack, "carrier", type="delivered", shipment_id=shipment_id, tracking_number="1Z999AA10123456784"
            ),
            409,
        )
        == "wrong_tracking_number"
    )
    late = post_event(stack, "carrier", type="in_transit", shipment_id=shipment_id, tracking_number=tracking)
    assert error(late, 409) == "stale_event"


def test_an_event_that_never_fits_ends_in_the_dead_letter_queue(stack, pay):
    sku = f"DL-{uuid.uuid4().hex[:6]}"
    at = node(stack)
    stock(stack, at, sku, 5)
    order_id, _ = place(stack, pay, [{"sku": sku, "quantity": 1, "unit_amount": 500}], line2="sim:silent")
    order = stack.wait_for(order_id, lambda o: bool(o["shipments"]))
    event_id = f"dlq-{uuid.uuid4().hex}"
    sqs = boto3.client("sqs", endpoint_url=stack.info["moto"], region_name=stack.info["region"])
    wrong_node = {
        "event_id": event_id,
        "type": "accepted",
        "shipment_id": order["shipments"][0]["shipment_id"],
        "node_id": "somewhere-else",
        "occurred_at": now(),
    }
    sqs.send_message(QueueUrl=stack.info["resources"]["queues"]["events"], MessageBody=json.dumps(wrong_node))
    dlq = stack.info["resources"]["dead_letter_queues"]["events"]
    deadline = time.monotonic() + 60
    found: list[Any] = []
    while not found and time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        found = [m for m in messages if event_id in m["Body"]]
    assert found
    after = stack.call("GET", f"/v1/orders/{order_id}").json()
    assert event_id not in str(after)
    assert after["shipments"][0]["status"] == "REQUESTED"


def test_a_delivery_exception_is_shown_until_the_parcel_is_delivered(stack, pay):
    sku = f"DX-{uuid.uuid4().hex[:6]}"
    at = node(stack)
    stock(stack, at, sku, 3)
    order_id, _ = place(stack, pay, [{"sku": sku, "quantity": 1, "unit_amount": 800}], line2="sim:delivery-exception")
    seen = stack.wait_for(
        order_id, lambda o: bool(o["shipments"]) and o["shipments"][0]["delivery_exception"], who="ops"
    )
    assert "address not found" in seen["shipments"][0]["delivery_exception"]
    done = settled(stack, order_id)
    assert done["status"] == "DELIVERED"
    assert done["shipments"][0]["delivery_exception"] is None
    events = [h["event"] for h in done["history"]]
    assert subsequence(["shipment_in_transit", "shipment_delivery_exception", "shipment_delivered"], events), events

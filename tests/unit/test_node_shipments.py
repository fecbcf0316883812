"""The warehouse gets its label: a message on the fulfilment topic once the label is bought, and reads
of its own shipments (another node's is 404) with links that never expire."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_lambda_powertools import Logger

from functions.orders_api import routes, shipment_routes
from shared import http
from shared import topology as t
from shared.domain.shipping import Label
from shared.usecases.labels import send_label
from shared.usecases.release import release_order, request_fulfilment
from tests.unit.builders import api_event
from tests.unit.fakes import (
    FakeDocuments,
    FakeRequests,
    FakeSignals,
    FakeWorkflow,
    FixedClock,
    InMemoryInventory,
    InMemoryLedger,
    InMemoryOrders,
)
from tests.unit.fakes_ops_reads import InMemoryOrderIndex
from tests.unit.test_shipments import order, walk

SID = "ord_1-S1"  # at dc-a; ord_1-S2 is at dc-b
LABEL = Label("sandbox", "ground", "1Z9WB0X10300000017", "https://t/1Z", 900, "USD", f"labels/{SID}.pdf")


@pytest.fixture
def orders() -> InMemoryOrders:
    orders, clock = InMemoryOrders(), FixedClock()
    orders.add(order(), "hash")
    release_order("ord_1", orders=orders, clock=clock)
    return orders


def labelled(orders: InMemoryOrders) -> None:
    o = orders.get("ord_1")
    assert o is not None
    walk(o, SID, "accepted", "picked", "packed")
    o.shipment(SID).labelled(LABEL)
    orders.save(o)


def call(orders: InMemoryOrders, path: str, kind: str = "warehouse", nodes: str = "dc-a") -> tuple[int, Any]:
    ports = routes.OrdersPorts(
        orders=orders,
        workflow=FakeWorkflow(),
        documents=FakeDocuments(),
        inventory=InMemoryInventory(),
        ledger=InMemoryLedger(),
        refunds_workflow=FakeWorkflow(),
        returns_workflow=FakeWorkflow(),
        signals=FakeSignals(),
        requests=FakeRequests(),
        clock=FixedClock(),
        search=InMemoryOrderIndex(),
        logger=Logger(service="test"),
        notify_cancelled=lambda order_id: "m-1",
    )
    app = http.resolver(shipment_routes.register)
    resource = "/v1/shipments/{shipment_id}" + ("/documents/{document}" if "/documents/" in path else "")
    answer = http.serve(
        app, t.function("orders_api"), api_event("GET", path, resource, kind=kind, nodes=nodes), None, ports=ports
    )
    body = json.loads(answer["body"]) if answer["body"] else answer["multiValueHeaders"]
    return answer["statusCode"], body


def test_a_warehouse_key_reads_its_own_shipment_with_the_label_and_links(orders):
    labelled(orders)
    status, body = call(orders, f"/v1/shipments/{SID}")
    assert status == 200, body
    assert (body["order_id"], body["order_ref"], body["node_id"]) == ("ord_1", "W-1", "dc-a")
    assert body["label"]["tracking_number"] == LABEL.tracking_number
    assert body["ship_to"]["city"] == "Austin"
    assert body["links"]["label"] == f"/v1/shipments/{SID}/documents/label"


def test_another_nodes_shipment_is_not_found_and_other_keys_are_refused(orders):
    assert call(orders, "/v1/shipments/ord_1-S2")[0] == 404  # dc-b's, not this key's
    assert call(orders, "/v1/shipments/ord_1-S9")[0] == 404
    assert call(orders, "/v1/shipments/ord_1-S2", kind="ops", nodes="")[0] == 200
    assert call(orders, f"/v1/shipments/{SID}", kind="channel", nodes="")[0] == 403


def test_a_document_link_redirects_to_a_fresh_download_and_the_label_is_404_until_bought(orders):
    status, _ = call(orders, f"/v1/shipments/{SID}/documents/label")
    assert status == 404
    labelled(orders)
    status, headers = call(orders, f"/v1/shipments/{SID}/documents/label")
    assert status == 302
    assert headers["Location"] == [f"https://documents.test/labels/{SID}.pdf?expires=300"]
    assert call(orders, f"/v1/shipments/{SID}/documents/nonsense")[0] == 422


def test_the_node_is_sent_its_label_with_stable_links(orders):
    labelled(orders)
    requests = FakeRequests()
    send_label("ord_1", SID, orders=orders, requests=requests, clock=FixedClock())
    [(node_id, message)] = requests.sent
    assert node_id == message["node_id"] == "dc-a"
    assert (message["type"], message["shipment_id"], message["tracking_number"]) == (
        "label_ready",
        SID,
        LABEL.tracking_number,
    )
    assert message["links"]["label"] == f"/v1/shipments/{SID}/documents/label"


def test_the_fulfilment_request_links_documents_that_outlive_an_hour(orders):
    requests, documents = FakeRequests(), FakeDocuments()
    request_fulfilment(
        "ord_1",
        SID,
        "tok",
        orders=orders,
        requests=requests,
        documents=documents,
        signals=FakeSignals(),
        clock=FixedClock(),
    )
    [(node_id, message)] = requests.sent
    assert node_id == "dc-a"
    assert message["links"] == {
        "shipment": f"/v1/shipments/{SID}",
        "pick_list": f"/v1/shipments/{SID}/documents/pick_list",
        "packing_slip": f"/v1/shipments/{SID}/documents/packing_slip",
    }
    assert all(url.endswith("expires=604800") for url in message["documents"].values())  # SigV4's longest

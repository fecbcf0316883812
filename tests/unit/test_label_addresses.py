"""Labels carry real addresses: a node's name and street address are stored and shown, a shipment's
label goes from its node to the customer, a return's from the customer back to the receiving node."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pymupdf

from functions.inventory_api import routes
from shared import http
from shared import topology as t
from shared.adapters.dynamodb_nodes import node_from_json, node_to_json
from shared.documents.label_pdf import render_label
from shared.domain.routing import Node, node_address
from shared.domain.values import Address, GeoPoint, PostalAddress
from shared.usecases.labels import buy_label
from shared.usecases.returns import buy_return_label
from tests.unit.builders import api_event, inventory_ports
from tests.unit.fakes import FakeCarrier, FixedClock, InMemoryNodes
from tests.unit.test_label_pdf import label_for, request
from tests.unit.test_no_dead_ends import delivered_with_return, with_store
from tests.unit.test_shipments import AT, PARCEL, order, walk

DC_A = Node(
    "dc-a",
    "warehouse",
    GeoPoint(40.71, -74.0),
    ships=True,
    pickup=False,
    handling_cost=0,
    daily_capacity=None,
    name="Waybill DC East",
    address=PostalAddress("500 Dock Rd", "Newark", "NJ", "07114", "US", line2="Gate 3"),
)
DC_A_ADDRESS = Address("Waybill DC East", "500 Dock Rd", "Newark", "NJ", "07114", "US", "Gate 3", 40.71, -74.0)
ONE_NODE = (("dc-a", "L1", "SKU-1", 2), ("dc-a", "L2", "SKU-2", 1))
BODY = {
    "kind": "warehouse",
    "name": "Waybill DC East",
    "address": {
        "line1": "500 Dock Rd",
        "line2": "Gate 3",
        "city": "Newark",
        "region": "NJ",
        "postal_code": "07114",
        "country": "US",
        "lat": 40.71,
        "lon": -74.0,
    },
}


def test_a_node_is_a_labels_party_with_its_name_and_street_address():
    assert node_address(DC_A, "dc-a") == DC_A_ADDRESS
    # a node nobody described still prints its id rather than nothing
    assert node_address(None, "dc-z") == Address("dc-z", "", "", "", "", "")


def test_a_nodes_name_and_full_address_survive_storage():
    assert node_from_json(node_to_json(DC_A)) == DC_A


def _call(app: Any, ports: routes.InventoryPorts, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    resource = "/v1/nodes/{node_id}" if path.count("/") == 3 else "/v1/nodes"
    event = api_event(method, path, resource, body=body)
    answer = http.serve(app, t.function("inventory_api"), event, None, ports=ports)
    return answer["statusCode"], json.loads(answer["body"])


def test_put_node_stores_the_name_and_full_street_address_and_get_shows_them():
    nodes = InMemoryNodes()
    ports = inventory_ports(nodes=nodes)
    app = http.resolver(routes.register)
    status, saved = _call(app, ports, "PUT", "/v1/nodes/dc-a", BODY)
    assert status == 201, saved
    assert nodes.get("dc-a") == DC_A
    status, listed = _call(app, ports, "GET", "/v1/nodes")
    assert status == 200
    assert listed["nodes"] == [{**BODY, "node_id": "dc-a", "ships": True, "pickup": False, "handling_cost": 0,
                                "daily_capacity": None,
                                "updated": {"by": {"kind": "admin", "name": "k"}, "at": "2026-11-22T09:00:00Z",
                                            "reason": None}}]  # fmt: skip


def test_a_shipment_label_goes_from_the_nodes_address_to_the_customer():
    orders, clock, carrier = with_store(order(allocations=ONE_NODE)), FixedClock(), FakeCarrier()
    o = orders.get("ord_1")
    assert o is not None
    [s] = o.release(AT)
    walk(o, s.shipment_id, "accepted", "picked", "packed")
    orders.save(o)
    buy_label("ord_1", s.shipment_id, orders=orders, nodes=InMemoryNodes(DC_A), carrier=carrier, clock=clock)
    [sent] = carrier.requests
    assert (sent.node_id, sent.ship_from, sent.ship_to) == ("dc-a", DC_A_ADDRESS, o.ship_to)
    assert sent.parcel == PARCEL


def test_a_return_label_goes_from_the_customer_to_the_receiving_node():
    o, rma = delivered_with_return()
    orders, carrier = with_store(o), FakeCarrier()
    buy_return_label(rma.rma_id, orders=orders, nodes=InMemoryNodes(DC_A), carrier=carrier, clock=FixedClock())
    [sent] = carrier.requests
    assert (sent.node_id, sent.ship_from, sent.ship_to) == ("dc-a", o.ship_to, DC_A_ADDRESS)


def test_the_label_pdf_prints_the_senders_name_and_street_address():
    req = replace(request(), ship_from=DC_A_ADDRESS)
    page = pymupdf.open(stream=render_label(req, label_for(req)), filetype="pdf")[0]
    text = page.get_text()
    sender, recipient = text.split("SHIP TO", 1)
    for expected in ["FROM", "Waybill DC East", "500 Dock Rd", "Gate 3", "Newark NJ 07114", "US"]:
        assert expected in sender
    assert "AUSTIN TX 73301" in recipient
    assert "Node dc-east" in recipient  # the node id stays on the label as a reference

"""The audit trail beyond orders: node and policy changes, stock adjustments, API key creation and
revocation each record the principal who made them, and the corresponding read shows it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from functions.inventory_api import routes
from shared import http
from shared import topology as t
from shared.domain.audit import Actor, Stamp
from shared.domain.principal import Kind
from shared.usecases.keys import create_key, revoke_keys
from tests.unit.builders import api_event, inventory_ports
from tests.unit.fakes import FixedClock, InMemoryKeys

AT = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
NODE = {"kind": "warehouse", "address": {"lat": 40.71, "lon": -74.0}, "handling_cost": 150}


def _app() -> tuple[Any, routes.InventoryPorts]:
    ports = inventory_ports(clock=FixedClock(AT, step=timedelta(minutes=1)))
    return http.resolver(routes.register), ports


def _call(
    app: Any,
    ports: routes.InventoryPorts,
    method: str,
    path: str,
    resource: str,
    *,
    kind: str = "admin",
    nodes: str = "",
    body: dict[str, Any] | None = None,
    query: dict[str, str] | None = None,
) -> tuple[int, Any]:
    event = api_event(method, path, resource, kind=kind, nodes=nodes, body=body)
    event["queryStringParameters"] = query
    answer = http.serve(app, t.function("inventory_api"), event, None, ports=ports)
    return answer["statusCode"], json.loads(answer["body"])


def test_a_node_change_records_who_made_it_and_the_node_list_shows_it():
    app, ports = _app()
    assert _call(app, ports, "PUT", "/v1/nodes/dc-a", "/v1/nodes/{node_id}", body=NODE)[0] == 201
    status, saved = _call(app, ports, "PUT", "/v1/nodes/dc-a", "/v1/nodes/{node_id}", body={**NODE, "pickup": True})
    assert status == 200
    assert saved["updated"] == {"by": {"kind": "admin", "name": "k"}, "at": "2026-11-22T09:01:00Z", "reason": None}
    stored = ports.nodes.get("dc-a")
    assert stored is not None
    assert stored.updated == Stamp(Actor("admin", "k"), AT + timedelta(minutes=1))
    [listed] = _call(app, ports, "GET", "/v1/nodes", "/v1/nodes", kind="ops")[1]["nodes"]
    assert listed["updated"] == saved["updated"]


def test_a_policy_change_records_who_made_it_and_its_get_shows_it():
    app, ports = _app()
    path, resource = "/v1/policies/web", "/v1/policies/{channel}"
    status, default = _call(app, ports, "GET", path, resource, kind="ops")
    assert (status, default["updated"], default["strategy"]) == (200, None, "cost")  # nobody set it yet
    status, saved = _call(app, ports, "PUT", path, resource, body={"strategy": "distance", "allow_split": False})
    assert status == 200, saved
    status, read = _call(app, ports, "GET", path, resource, kind="ops")
    assert (read["strategy"], read["allow_split"]) == ("distance", False)
    assert read["updated"] == {"by": {"kind": "admin", "name": "k"}, "at": "2026-11-22T09:00:00Z", "reason": None}
    assert saved == read


def test_a_stock_adjustment_records_who_made_it_and_why_and_its_read_shows_it():
    app, ports = _app()
    _call(app, ports, "PUT", "/v1/nodes/dc-a", "/v1/nodes/{node_id}", body=NODE)
    adjustment = {
        "reference": "GRN/0001",
        "node_id": "dc-a",
        "type": "receipt",
        "lines": [{"sku": "MUG", "quantity": 12}],
        "reason": "pallet 7 from the supplier",
    }
    post = ("POST", "/v1/inventory/adjustments", "/v1/inventory/adjustments")
    status, _ = _call(app, ports, *post, kind="warehouse", nodes="dc-a", body=adjustment)
    assert status == 200
    read = ("GET", "/v1/inventory/adjustments", "/v1/inventory/adjustments")
    status, found = _call(app, ports, *read, kind="ops", query={"reference": "GRN/0001"})
    assert status == 200, found
    assert found == {
        "reference": "GRN/0001",
        "node_id": "dc-a",
        "type": "receipt",
        "changes": [{"sku": "MUG", "on_hand_change": 12}],
        "updated": {
            "by": {"kind": "warehouse", "name": "k"},
            "at": "2026-11-22T09:01:00Z",
            "reason": "pallet 7 from the supplier",
        },
    }
    mine = _call(app, ports, *read, kind="warehouse", nodes="dc-a", query={"reference": "GRN/0001"})
    assert mine[0] == 200
    # another warehouse does not see it, and a reference never used is not found
    assert _call(app, ports, *read, kind="warehouse", nodes="dc-b", query={"reference": "GRN/0001"})[0] == 404
    assert _call(app, ports, *read, kind="ops", query={"reference": "GRN/0002"})[0] == 404


def test_key_creation_and_revocation_record_who_did_them():
    keys = InMemoryKeys()
    created = Stamp(Actor("admin", "arn:aws:iam::1:user/ada"), AT)
    revoked = Stamp(Actor("admin", "arn:aws:iam::1:user/grace"), AT + timedelta(days=1))
    create_key(keys, Kind.CHANNEL, "web", by=created)
    create_key(keys, Kind.CHANNEL, "pos", by=created)
    assert revoke_keys(keys, Kind.CHANNEL, "web", revoked) == 1
    records = {r.principal.name: r for r in keys.records()}
    assert (records["web"].created, records["web"].revoked, records["web"].principal.revoked) == (
        created,
        revoked,
        True,
    )
    assert (records["pos"].created, records["pos"].revoked) == (created, None)

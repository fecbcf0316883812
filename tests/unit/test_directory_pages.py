"""GET /v1/nodes and GET /v1/reorder-suggestions a page at a time: in order, each once, a cursor
good only for its own listing, the page size bounded."""

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.inventory_api import routes
from shared import http
from shared import topology as t
from shared.domain.inventory import ReorderSuggestion
from shared.domain.routing import Node
from shared.usecases import paging
from shared.usecases.list_directory import list_nodes, list_reorder_suggestions
from tests.unit.builders import api_event, inventory_ports
from tests.unit.fakes import InMemoryInventory, InMemoryNodes

AT = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def world(nodes: int, suggestions: int) -> routes.InventoryPorts:
    inventory = InMemoryInventory()
    for i in range(suggestions):
        inventory.suggest_reorder(ReorderSuggestion(f"SKU-{i // 2:03d}", f"dc-{i % 2}", 10, 1, 2), AT)
    return inventory_ports(
        inventory=inventory,
        nodes=InMemoryNodes(
            *(Node(f"dc-{i:03d}", "warehouse", None, True, False, 0, None) for i in reversed(range(nodes)))
        ),
    )


def get(ports: routes.InventoryPorts, path: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
    event = api_event("GET", path, path, kind="ops")
    event["queryStringParameters"] = query or None
    answer = http.serve(http.resolver(routes.register), t.function("inventory_api"), event, None, ports=ports)
    return answer["statusCode"], json.loads(answer["body"])


@pytest.mark.parametrize(
    ("path", "field", "key"), [("/v1/nodes", "nodes", "node_id"), ("/v1/reorder-suggestions", "suggestions", "sku")]
)
def test_the_listing_pages_in_order_each_once(path, field, key):
    ports = world(nodes=23, suggestions=23)
    pages, cursor = [], None
    while True:
        status, page = get(ports, path, {"limit": "5", **({"cursor": cursor} if cursor else {})})
        assert status == 200, page
        pages.append(page[field])
        if (cursor := page["next"]) is None:
            break
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]  # the last page says it is the last
    seen = [(x[key], x["node_id"]) for p in pages for x in p]
    assert seen == sorted(set(seen))
    assert len(seen) == 23


def test_a_cursor_of_another_listing_or_made_up_is_refused():
    ports = world(nodes=4, suggestions=4)
    _, nodes = get(ports, "/v1/nodes", {"limit": "1"})
    _, reorders = get(ports, "/v1/reorder-suggestions", {"limit": "1"})
    for path, cursor in (
        ("/v1/reorder-suggestions", nodes["next"]),
        ("/v1/nodes", reorders["next"]),
        ("/v1/nodes", "x"),
    ):
        status, refused = get(ports, path, {"cursor": cursor})
        assert (status, refused["error"]["code"]) == (400, "invalid_cursor"), path
    forged = paging.encode("nodes", "", "../../etc")
    with pytest.raises(paging.InvalidCursor, match="position"):
        list_nodes(ports.nodes, 5, forged)
    for path in ("/v1/nodes", "/v1/reorder-suggestions"):
        for limit in ("0", "501"):
            status, refused = get(ports, path, {"limit": limit})
            assert (status, refused["error"]["code"]) == (422, "validation_failed"), (path, limit)


def test_the_use_cases_bound_the_page_size():
    ports = world(nodes=1, suggestions=1)
    with pytest.raises(ValueError, match="limit"):
        list_nodes(ports.nodes, 0)
    with pytest.raises(ValueError, match="limit"):
        list_reorder_suggestions(ports.inventory, 501)

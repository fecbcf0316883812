"""Valid capture bodies and API events for tests, with overrides; inventory_api's ports on fakes."""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

from tests.unit.fakes import FakeRestock, FixedClock, InMemoryInventory, InMemoryNodes, InMemoryPolicies

if TYPE_CHECKING:
    from functions.inventory_api.routes import InventoryPorts

BASE: dict[str, Any] = {
    "external_id": "WEB-1",
    "currency": "USD",
    "customer": {"email": "ada@example.com", "name": "Ada Lovelace", "phone": "+1 555 0100"},
    "ship_to": {
        "name": "Ada Lovelace",
        "line1": "1 Main St",
        "city": "Austin",
        "region": "TX",
        "postal_code": "73301",
        "country": "US",
    },
    "lines": [
        {"sku": "TSHIRT-M", "quantity": 2, "unit_amount": 1900},
        {"sku": "MUG", "quantity": 1, "unit_amount": 1200},
    ],
    "shipping_amount": 500,
    "tax_amount": 100,
    "payment": {"stripe_payment_intent": "pi_test_1"},
    "delivery": {"method": "ship", "service_level": "standard"},
}
GRAND_TOTAL = 2 * 1900 + 1200 + 500 + 100


def capture_body(**overrides: Any) -> dict[str, Any]:
    body = copy.deepcopy(BASE)
    body.update(overrides)
    return body


def api_event(
    method: str,
    path: str,
    resource: str,
    *,
    kind: str = "admin",
    nodes: str = "",
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The REST API proxy event API Gateway sends a handler, after the authorizer resolved the key."""
    names = [part.strip("{}") for part in resource.split("/") if part.startswith("{")]
    values = [part for part, pattern in zip(path.split("/"), resource.split("/"), strict=True) if pattern[:1] == "{"]
    return {
        "httpMethod": method,
        "path": path,
        "resource": resource,
        "pathParameters": dict(zip(names, values, strict=True)) or None,
        "headers": {"Content-Type": "application/json"},
        "queryStringParameters": None,
        "requestContext": {"authorizer": {"principalId": f"{kind}#k", "kind": kind, "name": "k", "nodes": nodes}},
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


def inventory_ports(
    inventory: InMemoryInventory | None = None, nodes: InMemoryNodes | None = None, clock: FixedClock | None = None
) -> InventoryPorts:
    """inventory_api's ports on the in-memory fakes (each one fresh unless given)."""
    # imported here: most users of these builders are e2e tests that never load a handler
    from aws_lambda_powertools import Logger

    from functions.inventory_api.routes import InventoryPorts

    return InventoryPorts(
        inventory=inventory if inventory is not None else InMemoryInventory(),
        nodes=nodes if nodes is not None else InMemoryNodes(),
        policies=InMemoryPolicies(),
        restock=FakeRestock(),
        clock=clock if clock is not None else FixedClock(),
        logger=Logger(service="test"),
    )

"""The OpenAPI document of the whole HTTP API v1, generated from the same route declarations and
pydantic models that validate requests (every API function's routes, registered on one resolver
that never serves a request)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.models import Server

import functions.analytics_api.routes as analytics_routes
import functions.exceptions_api.routes as exceptions_routes
import functions.finance_api.routes as finance_routes
import functions.fulfilment_events.routes as event_routes
import functions.inventory_api.routes as inventory_routes
import functions.ops_api.routes as ops_routes
import functions.orders_api.routes as orders_routes
import functions.orders_api.shipment_routes as shipment_routes
import functions.stripe_webhook.routes as webhook_routes
from shared import http


@cache
def document() -> str:
    docs = APIGatewayRestResolver(enable_validation=True)
    modules = (
        orders_routes,
        shipment_routes,
        inventory_routes,
        event_routes,
        webhook_routes,
        finance_routes,
        analytics_routes,
        ops_routes,
        exceptions_routes,
    )
    for module in modules:
        module.register(docs)
    http.install_error_handlers(docs)
    text = docs.get_openapi_json_schema(
        title="Waybill HTTP API",
        version="1.0.0",
        description="Order capture, inventory and routing, fulfilment events. "
        "Money is in integer minor units of the order currency.",
        servers=[Server(url="/")],
        security_schemes={"bearer": {"type": "http", "scheme": "bearer"}},  # type: ignore[dict-item]
        security=[{"bearer": []}],
    )
    return json.dumps(_without_unused_schemas(json.loads(text)), indent=2)


def _without_unused_schemas(doc: dict[str, Any]) -> dict[str, Any]:
    """Powertools always adds FastAPI's HTTPValidationError, ValidationError and ResponseValidationError;
    every route documents its 422 in Waybill's error shape instead, so they would only mislead a client
    generator."""
    schemas: dict[str, Any] = doc["components"]["schemas"]
    for name in ("HTTPValidationError", "ResponseValidationError", "ValidationError"):
        if f'"#/components/schemas/{name}"' not in json.dumps({k: v for k, v in doc.items() if k != "components"}):
            schemas.pop(name, None)
    return doc

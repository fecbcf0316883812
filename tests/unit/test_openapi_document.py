"""The OpenAPI document as client generators read it (issue: openapi-python-client dropped
POST /v1/orders, OrderView and OrderList). The end-to-end twin, tests/e2e/test_generated_client.py,
generates a client from the served document and drives the stack with it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from openapi_spec_validator import validate

from functions.orders_api.openapi import document
from shared.topology import FUNCTIONS

DOC: dict[str, Any] = json.loads(document())
OPERATIONS = [(path, method, op) for path, ops in DOC["paths"].items() for method, op in ops.items()]


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if "$ref" in node else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def test_the_document_is_valid_openapi():
    validate(DOC)


def test_every_routed_operation_is_documented():
    routed = {
        (r.method.lower(), r.path)
        for fn in FUNCTIONS
        for r in fn.routes
        if r.path != "/v1/openapi.json"  # the document itself
    }
    assert {(method, path) for path, method, _ in OPERATIONS} == routed


def test_schema_names_and_titles_are_unique():
    schemas = DOC["components"]["schemas"]
    titles = [s.get("title", name) for name, s in schemas.items()]
    assert len(titles) == len(set(titles)), sorted(t for t in titles if titles.count(t) > 1)
    assert not [name for name in schemas if "__" in name]  # module-qualified names from a clash


def test_operation_ids_read_as_verbs_on_things():
    ids = [op["operationId"] for _, _, op in OPERATIONS]
    assert len(ids) == len(set(ids))
    for op_id in ids:
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", op_id), op_id
        assert not op_id.endswith(("_get", "_post", "_put")), op_id
    assert {"capture_order", "get_order", "find_orders", "cancel_order", "open_return"} <= set(ids)


def test_no_fastapi_validation_error_anywhere():
    schemas = DOC["components"]["schemas"]
    assert not {"HTTPValidationError", "ValidationError", "ResponseValidationError"} & set(schemas)
    for path, method, op in OPERATIONS:
        for status, response in op["responses"].items():
            if int(status) >= 400:
                assert _refs(response) == {"#/components/schemas/ErrorBody"}, (method, path, status)


def test_every_error_response_lists_its_codes_and_validation_is_always_documented():
    for path, method, op in OPERATIONS:
        assert "422" in op["responses"], (method, path)
        for status, response in op["responses"].items():
            if int(status) >= 400:
                assert re.search(r"`error\.code`: `[a-z_]+`", response["description"]), (method, path, status)
    capture = DOC["paths"]["/v1/orders"]["post"]["responses"]
    assert "`idempotency_conflict`" in capture["409"]["description"]
    events = DOC["paths"]["/v1/fulfillment-events"]["post"]["responses"]
    assert {"`out_of_order`", "`stale_event`", "`wrong_node`"} <= set(
        re.findall(r"`[a-z_]+`", events["409"]["description"])
    )


@pytest.mark.parametrize(
    ("path", "method", "status", "headers"),
    [
        ("/v1/orders", "post", "202", {"Location", "Idempotent-Replayed"}),
        ("/v1/orders/{order_id}/returns", "post", "202", {"Location"}),
        ("/v1/inventory/adjustments", "post", "200", {"Idempotent-Replayed"}),
        ("/v1/fulfillment-events", "post", "200", {"Idempotent-Replayed"}),
        ("/v1/finance/reconciliations", "post", "201", {"Location"}),
    ],
)
def test_response_headers_are_documented(path, method, status, headers):
    assert set(DOC["paths"][path][method]["responses"][status]["headers"]) == headers


def test_the_webhook_is_documented_as_stripe_calls_it():
    op = DOC["paths"]["/v1/webhooks/stripe"]["post"]
    assert op["security"] == []  # no bearer key
    assert [(p["name"], p["in"], p["required"]) for p in op["parameters"]] == [("Stripe-Signature", "header", True)]
    body = op["requestBody"]["content"]["application/json"]["schema"]
    assert {"id", "type", "data"} <= set(body["required"])
    assert "$ref" not in json.dumps(body)  # self-contained: nothing for a generator to miss
    assert "`invalid_signature`" in op["responses"]["400"]["description"]


def test_ship_to_is_optional_in_the_schema_and_delivery_has_no_default_object():
    capture = DOC["components"]["schemas"]["CaptureOrder"]
    assert "ship_to" not in capture["required"]
    assert "default" not in capture["properties"]["delivery"]
    line = DOC["components"]["schemas"]["LineIn"]["properties"]
    assert {"name", "image_url"} <= set(line)

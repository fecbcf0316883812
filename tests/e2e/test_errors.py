"""Every refusal uses the one error shape, with the documented status, and never a stack trace."""

import json

import pytest

from tests.unit.builders import capture_body

pytestmark = pytest.mark.e2e


def assert_error(answer, status, code):
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/json")
    err = answer.json()["error"]
    assert err["code"] == code
    assert isinstance(err["message"], str)
    assert err["message"]
    assert isinstance(err["details"], list)
    assert "Traceback" not in answer.text
    return err


def test_malformed_json_is_400(stack):
    answer = stack.call("POST", "/v1/orders", data="{not json", headers={"Content-Type": "application/json"})
    assert_error(answer, 400, "malformed_json")


def test_missing_and_unknown_keys_are_401(stack):
    assert_error(stack.call("POST", "/v1/orders", who=None, json=capture_body()), 401, "unauthorized")
    bad = stack.call("GET", "/v1/orders/ord_x", who=None, headers={"Authorization": "Bearer wb_channel_nope"})
    assert_error(bad, 401, "unauthorized")
    basic = stack.call("GET", "/v1/orders/ord_x", who=None, headers={"Authorization": "Basic abc"})
    assert_error(basic, 401, "unauthorized")


@pytest.mark.parametrize("who", ["ops", "finance", "admin", "warehouse"])
def test_right_key_wrong_kind_is_403(stack, who):
    assert_error(stack.call("POST", "/v1/orders", who=who, json=capture_body()), 403, "forbidden")


def test_unknown_path_and_missing_order_are_404(stack):
    assert_error(stack.call("GET", "/v1/nothing-here"), 404, "not_found")
    assert_error(stack.call("GET", "/v1/orders/ord_0000000000000000000000000"), 404, "not_found")


def test_body_over_the_limit_is_413(stack):
    big = capture_body(external_id="BIG-1")
    big["customer"]["name"] = "x" * 300_000
    assert_error(stack.call("POST", "/v1/orders", json=big), 413, "payload_too_large")


def test_validation_names_every_bad_field(stack):
    sent = capture_body(currency="usd", lines=[{"sku": "A", "quantity": 0, "unit_amount": -1}])
    sent["customer"]["email"] = "nope"
    err = assert_error(stack.call("POST", "/v1/orders", json=sent), 422, "validation_failed")
    fields = {d["field"] for d in err["details"]}
    assert {"currency", "lines[0].quantity", "lines[0].unit_amount", "customer.email"} <= fields


@pytest.mark.parametrize("payload", ["[]", "null", "1", '"x"', "{}"])
def test_wrong_json_types_are_422_not_500(stack, payload):
    answer = stack.call("POST", "/v1/orders", data=payload, headers={"Content-Type": "application/json"})
    assert_error(answer, 422, "validation_failed")


def test_bad_order_id_in_path_is_refused_cleanly(stack):
    answer = stack.call("GET", "/v1/orders/%00%ff")
    assert answer.status_code in (404, 422)
    assert "Traceback" not in answer.text


def test_openapi_document_is_served_without_a_key_and_documents_errors(stack):
    answer = stack.call("GET", "/v1/openapi.json", who=None)
    assert answer.status_code == 200
    doc = answer.json()
    post = doc["paths"]["/v1/orders"]["post"]
    assert {"202", "400", "401", "403", "409", "413", "422"} <= set(post["responses"])
    assert "ErrorBody" in json.dumps(doc["components"]["schemas"])
    assert "CaptureOrder" in doc["components"]["schemas"]


@pytest.mark.parametrize(
    "payload",
    ["[" * 100_000, '{"external_id": ' + "9" * 5000 + "}"],
    ids=["nested-deeper-than-the-parser-goes", "integer-of-5000-digits"],
)
def test_json_beyond_the_parser_limits_is_400_not_5xx(stack, payload):
    answer = stack.call("POST", "/v1/orders", data=payload, headers={"Content-Type": "application/json"})
    assert_error(answer, 400, "malformed_json")


@pytest.mark.parametrize(
    "content_type", ["APPLICATION/JSON", "application/merge-patch+json", "Application/Json; charset=utf-8"]
)
def test_json_media_types_are_matched_case_insensitively_not_500(stack, content_type):
    # a body that parses and fails validation: 422 shows the body was read as JSON
    answer = stack.call("POST", "/v1/orders", data='{"external_id": "CT-1"}', headers={"Content-Type": content_type})
    assert_error(answer, 422, "validation_failed")
    nodes = stack.call("PUT", "/v1/nodes/ct-node", "admin", data="{}", headers={"Content-Type": content_type})
    assert_error(nodes, 422, "validation_failed")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "TEXT/JSON-ish"])
def test_a_body_that_is_not_json_is_415(stack, content_type):
    answer = stack.call("POST", "/v1/orders", data="{}", headers={"Content-Type": content_type})
    assert_error(answer, 415, "unsupported_media_type")

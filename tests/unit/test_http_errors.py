"""The words of the error body: a validator's own message, and a refusal that reads as English."""

import json
from typing import Any

import pytest
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import ValidationError

from shared import http
from shared import topology as t
from shared.schemas.capture import CaptureOrder
from tests.unit.builders import capture_body


def _details(body: dict[str, Any]) -> dict[str, str]:
    try:
        CaptureOrder.model_validate(body)
    except ValidationError as err:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in err.errors()]
    answer = http.validation_error(RequestValidationError(errors))
    return {d["field"]: d["issue"] for d in json.loads(str(answer.body))["error"]["details"]}


def test_a_validators_message_is_given_without_pydantics_prefix():
    details = _details(capture_body(currency="usd", ship_to={**capture_body()["ship_to"], "country": "us"}))
    assert details["currency"] == "must be an ISO 4217 code in upper case, such as USD or EUR"
    assert details["ship_to.country"].startswith("must be an ISO 3166-1 alpha-2 code")
    assert not any("Value error" in issue for issue in details.values())


@pytest.mark.parametrize(("kind", "article"), [("ops", "an"), ("admin", "an"), ("warehouse", "a"), ("finance", "a")])
def test_a_refused_key_is_named_with_the_right_article(kind, article):
    capture = next(f for f in t.FUNCTIONS if any(r.path == "/v1/orders" and r.method == "POST" for r in f.routes))
    event = {
        "httpMethod": "POST",
        "resource": "/v1/orders",
        "requestContext": {"authorizer": {"principalId": f"{kind}#x", "kind": kind, "name": "x"}},
    }
    refused, _ = http.guard(event, capture, 262144)
    assert refused is not None
    assert refused["statusCode"] == 403
    assert json.loads(refused["body"])["error"]["message"].startswith(f"{article} {kind} key cannot call this")


def _answer(raised: Exception) -> dict[str, Any]:
    def register(app: Any) -> None:
        @app.post("/v1/things")  # type: ignore[untyped-decorator]
        def thing() -> dict[str, Any]:
            raise raised

    event = {"httpMethod": "POST", "path": "/v1/things", "resource": "/v1/things", "headers": {}, "body": "{}"}
    return http.resolver(register).resolve(event, None)  # type: ignore[arg-type]


def test_a_concurrent_request_doing_the_same_side_effect_is_503_in_progress_not_a_500():
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

    answer = _answer(IdempotencyAlreadyInProgressError("Execution already in progress with idempotency key x"))
    assert answer["statusCode"] == 503
    assert answer["multiValueHeaders"]["Retry-After"] == ["1"]
    assert json.loads(answer["body"])["error"]["code"] == "in_progress"
    crashed = _answer(RuntimeError("a bug"))
    assert crashed["statusCode"] == 500
    assert json.loads(crashed["body"])["error"]["code"] == "internal_error"

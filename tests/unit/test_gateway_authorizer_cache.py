"""The local gateway reuses the authorizer's answer per Authorization header for the TTL the CDK
stack gives API Gateway, and asks again once it has passed or when the authorizer refused."""

from __future__ import annotations

from typing import Any

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from devstack import plan
from devstack.gateway import Gateway
from devstack.runtime import LambdaError

ALLOW = {
    "principalId": "channel:web",
    "policyDocument": {"Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}]},
    "context": {"kind": "channel", "name": "web", "nodes": ""},
}


class Runtime:
    """The functions behind the gateway: the authorizer knows the keys in `allowed`."""

    def __init__(self, allowed: set[str]) -> None:
        self.allowed = allowed
        self.asked: list[str] = []  # the keys the authorizer was asked about
        self.seen: list[dict[str, Any]] = []  # the authorizer context each handler was given

    def invoke(self, name: str, event: dict[str, Any]) -> dict[str, Any]:
        if name == "authorizer":
            key = event["headers"]["Authorization"]
            self.asked.append(key)
            if key not in self.allowed:
                raise LambdaError({"errorMessage": "Unauthorized", "errorType": "Exception"})
            return ALLOW
        self.seen.append(event["requestContext"]["authorizer"])
        return {"statusCode": 200, "body": "{}"}


class Clock:
    now = 1_000.0

    def __call__(self) -> float:
        return self.now


def get(gateway: Gateway, key: str, path: str = "/v1/orders/ord_1") -> int:
    environ = EnvironBuilder(path=path, method="GET", headers=[("Authorization", key)]).get_environ()
    return gateway.handle(Request(environ)).status_code


def build(allowed: set[str]) -> tuple[Gateway, Runtime, Clock]:
    runtime, clock = Runtime(allowed), Clock()
    gateway = Gateway(plan.build(), runtime, "us-east-1", "123456789012", clock=clock)  # type: ignore[arg-type]
    return gateway, runtime, clock


def test_one_key_is_authorized_once_for_every_route_within_the_ttl() -> None:
    gateway, runtime, clock = build({"Bearer a", "Bearer b"})
    assert plan.build().authorizer_cache_s == 300  # the topology's figure, as the CDK stack sets it
    assert get(gateway, "Bearer a") == 200
    clock.now += 299
    assert get(gateway, "Bearer a", "/v1/orders") == 200
    assert get(gateway, "Bearer b") == 200
    assert runtime.asked == ["Bearer a", "Bearer b"]
    # the cached answer still reaches the handler
    assert runtime.seen[1] == {"principalId": "channel:web", "kind": "channel", "name": "web", "nodes": ""}


def test_a_revoked_key_works_until_its_answer_expires_and_is_then_refused() -> None:
    gateway, runtime, clock = build({"Bearer a"})
    assert get(gateway, "Bearer a") == 200
    runtime.allowed.clear()  # revoked
    clock.now += 299
    assert get(gateway, "Bearer a") == 200  # as in AWS: up to the TTL
    clock.now += 2
    assert get(gateway, "Bearer a") == 401
    assert runtime.asked == ["Bearer a", "Bearer a"]


def test_a_refusal_is_not_kept() -> None:
    gateway, runtime, _ = build(set())
    assert get(gateway, "Bearer new") == 401
    runtime.allowed.add("Bearer new")  # e.g. the key was created a moment later
    assert get(gateway, "Bearer new") == 200
    assert runtime.asked == ["Bearer new", "Bearer new"]

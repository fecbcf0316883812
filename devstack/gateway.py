"""The local API Gateway: HTTP requests become REST API proxy events, the Lambda authorizer runs
first where the route asks for it, and the same handlers answer. Routes come from the plan."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request, Response

from devstack.console_files import ConsoleFiles
from devstack.plan import GatewayRoute, LocalPlan
from devstack.runtime import LambdaError, LambdaRuntime
from devstack.served import Served
from shared.schemas.errors import error_body

# API Gateway's own payload limit; Waybill's handlers enforce their lower documented limit.
API_GATEWAY_MAX_BODY = 10 * 1024 * 1024
STAGE = "v1"


@dataclass(frozen=True)
class _Compiled:
    route: GatewayRoute
    pattern: re.Pattern[str]


def _compile(route: GatewayRoute) -> _Compiled:
    regex = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(route.path))
    return _Compiled(route, re.compile(f"^{regex}$"))


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")


def gateway_error(status: int, code: str, message: str) -> Response:
    """The bodies the CDK stack's gateway responses produce, for refusals made before a handler runs."""
    return _json(status, error_body(code, message))


class _Decisions:
    """The authorizer's answers by Authorization header, each reused for the authorizer's cache TTL
    as API Gateway does (a refusal it raised is not kept: the next request asks again)."""

    MOST = 10_000  # keys remembered at once; beyond, the expired go first, then all

    def __init__(self, ttl_s: float, clock: Callable[[], float]) -> None:
        self._ttl_s, self._clock = ttl_s, clock
        self._kept: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, header: str) -> dict[str, Any] | None:
        with self._lock:
            kept = self._kept.get(header)
        return kept[1] if kept is not None and kept[0] > self._clock() else None

    def keep(self, header: str, policy: dict[str, Any]) -> None:
        if self._ttl_s <= 0:
            return
        now = self._clock()
        with self._lock:
            if len(self._kept) >= self.MOST:
                self._kept = {h: k for h, k in self._kept.items() if k[0] > now}
                if len(self._kept) >= self.MOST:
                    self._kept.clear()
            self._kept[header] = (now + self._ttl_s, policy)


class Gateway:
    def __init__(
        self,
        plan: LocalPlan,
        runtime: LambdaRuntime,
        region: str,
        account: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # Like API Gateway, a literal path segment wins over a {parameter} at the same place.
        self._routes = sorted((_compile(r) for r in plan.routes), key=lambda c: c.route.path.count("{"))
        self._authorizer = plan.authorizer
        self._decisions = _Decisions(plan.authorizer_cache_s, clock)
        self._runtime = runtime
        self._region = region
        self._account = account
        self._console = ConsoleFiles()
        self._served: Served | None = None
        # told of every answered request (route, path parameters, status): the simulators follow the API
        self.observers: list[Callable[[GatewayRoute, dict[str, str], int], None]] = []

    def match(self, method: str, path: str) -> tuple[GatewayRoute, dict[str, str]] | None:
        """The route of the most literal resource matching the path, if it has this method."""
        resource = None
        for compiled in self._routes:
            found = compiled.pattern.match(path)
            if found is None or (resource is not None and compiled.route.path != resource):
                continue
            resource = compiled.route.path
            if compiled.route.method == method:
                return compiled.route, found.groupdict()
        return None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        return self.handle(request)(environ, start_response)

    def handle(self, request: Request) -> Response:
        if ConsoleFiles.serves(request.path):  # in AWS, CloudFront serves it from S3
            return self._console.handle(request)
        matched = self.match(request.method, request.path)
        if matched is None:
            # API Gateway answers unknown paths with MISSING_AUTHENTICATION_TOKEN, mapped to 404.
            return gateway_error(404, "not_found", "no such resource")
        route, params = matched
        if (request.content_length or 0) > API_GATEWAY_MAX_BODY:
            return gateway_error(413, "payload_too_large", "the body is over API Gateway's 10 MB limit")
        body = request.get_data(as_text=True)
        event = self._event(request, route, params, body)
        if route.authorized:
            refused = self._authorize(request, route, event)
            if refused is not None:
                return refused
        try:
            result = self._runtime.invoke(route.function, event)
        except LambdaError:
            return gateway_error(502, "internal_error", "the request could not be processed")
        headers = dict(result.get("headers") or {})
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers[name] = ", ".join(values)
        status = int(result["statusCode"])
        for observer in self.observers:
            observer(route, params, status)
        return Response(result.get("body") or "", status=status, headers=headers)

    def _event(self, request: Request, route: GatewayRoute, params: dict[str, str], body: str) -> dict[str, Any]:
        headers = dict(request.headers.items())
        query = {k: v for k, v in request.args.items()}
        multi_query = {k: request.args.getlist(k) for k in request.args}
        return {
            "resource": route.path,
            "path": request.path,
            "httpMethod": request.method,
            "headers": headers,
            "multiValueHeaders": {k: request.headers.getlist(k) for k in headers},
            "queryStringParameters": query or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": params or None,
            "stageVariables": None,
            "requestContext": {
                "resourcePath": route.path,
                "httpMethod": request.method,
                "path": f"/{STAGE}{request.path}",
                "stage": STAGE,
                "requestId": str(uuid.uuid4()),
                "requestTimeEpoch": int(time.time() * 1000),
                "accountId": self._account,
                "apiId": "local",
                "identity": {"sourceIp": request.remote_addr or "127.0.0.1"},
            },
            "body": body or None,
            "isBase64Encoded": False,
        }

    def _authorize(self, request: Request, route: GatewayRoute, event: dict[str, Any]) -> Response | None:
        if not request.headers.get("Authorization"):
            # The identity source is absent: API Gateway refuses without calling the authorizer.
            return gateway_error(401, "unauthorized", "a valid API key is required: Authorization: Bearer <key>")
        assert self._authorizer is not None
        identity = request.headers["Authorization"]
        policy = self._decisions.get(identity)
        if policy is None:
            api = f"arn:aws:execute-api:{self._region}:{self._account}:local"
            method_arn = f"{api}/{STAGE}/{request.method}{route.path}"
            auth_event = {**event, "type": "REQUEST", "methodArn": method_arn}
            try:
                policy = self._runtime.invoke(self._authorizer, auth_event)
            except LambdaError as err:
                if err.payload.get("errorMessage") == "Unauthorized":
                    return gateway_error(
                        401, "unauthorized", "a valid API key is required: Authorization: Bearer <key>"
                    )
                return gateway_error(500, "internal_error", "the request could not be authorized")
            self._decisions.keep(identity, policy)
        statements = policy.get("policyDocument", {}).get("Statement", [])
        if not any(s.get("Effect") == "Allow" for s in statements):
            return gateway_error(403, "forbidden", "this key may not call this resource")
        event["requestContext"]["authorizer"] = {
            "principalId": policy.get("principalId"),
            **{k: str(v) for k, v in (policy.get("context") or {}).items()},
        }
        return None

    def start(self, port: int) -> None:
        self._served = Served(self, port, "gateway")

    def stop(self) -> None:
        if self._served is not None:
            self._served.stop()

"""The REST API: one method per topology Route, proxied to its function, behind the Lambda authorizer.

Errors API Gateway answers itself (no key, unknown route, throttling, too large, ...) use the same
error shape as the handlers: {"error": {"code", "message", "details"}}.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from shared.console_site import BROWSER_REQUEST_HEADERS
from shared.topology import AuthorizerTrigger, Function, Route

STAGE = "prod"
# Per-stage defaults, far below the account's 10,000 rps: a runaway client cannot run up the bill.
THROTTLE_RATE = 100
THROTTLE_BURST = 200

# (response type, HTTP status or None to keep API Gateway's, error code, message or None for its own)
GATEWAY_RESPONSES: tuple[tuple[apigw.ResponseType, str | None, str, str | None], ...] = (
    (apigw.ResponseType.UNAUTHORIZED, "401", "unauthorized", "Missing or unknown API key"),
    (apigw.ResponseType.ACCESS_DENIED, "403", "forbidden", "This API key may not call this operation"),
    # API Gateway answers an unknown method or path with 403 "Missing Authentication Token".
    (apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, "404", "not_found", "No such operation"),
    (apigw.ResponseType.REQUEST_TOO_LARGE, "413", "payload_too_large", "The request body is too large"),
    (apigw.ResponseType.THROTTLED, "429", "throttled", "Too many requests; retry with backoff"),
    (apigw.ResponseType.DEFAULT_4_XX, None, "bad_request", None),
    # Never leak API Gateway's or an integration's internals.
    (apigw.ResponseType.DEFAULT_5_XX, None, "internal_error", "Internal error; retry later"),
)

_ACCESS_LOG = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "requestTime": "$context.requestTime",
    "sourceIp": "$context.identity.sourceIp",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "path": "$context.path",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "principal": "$context.authorizer.principalId",
    "authorizerError": "$context.authorizer.error",
    "integrationError": "$context.integration.error",
    "errorType": "$context.error.responseType",
    "xrayTraceId": "$context.xrayTraceId",
}


def error_body(code: str, message: str | None) -> str:
    """The error shape as a gateway response template; `$context.error.messageString` is JSON-quoted."""
    quoted = json.dumps(message) if message is not None else "$context.error.messageString"
    return f'{{"error": {{"code": {json.dumps(code)}, "message": {quoted}, "details": []}}}}'


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: tuple[Function, ...],
        lambdas: Mapping[str, lambda_.IFunction],
        browser_origin: str | None = None,
    ) -> None:
        """`browser_origin` is the one web origin (the console's) allowed to call the API from a browser."""
        super().__init__(scope, construct_id)
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=logs.RetentionDays.THREE_MONTHS,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=Stack.of(self).stack_name,
            description="Waybill HTTP API v1",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # API Gateway needs an account-wide role to write execution logs; this stack provides it.
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            deploy_options=apigw.StageOptions(
                stage_name=STAGE,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.custom(json.dumps(_ACCESS_LOG)),
                logging_level=apigw.MethodLoggingLevel.ERROR,
                # Full request/response logging would write customers' addresses to CloudWatch.
                data_trace_enabled=False,
                # Per-method metrics are billed as custom metrics; the API-wide ones stay free.
                metrics_enabled=False,
                tracing_enabled=True,
                throttling_rate_limit=THROTTLE_RATE,
                throttling_burst_limit=THROTTLE_BURST,
            ),
        )
        # the console reads refusals too, so they carry its CORS header like the handlers' answers
        cors = {"Access-Control-Allow-Origin": f"'{browser_origin}'", "Vary": "'Origin'"} if browser_origin else {}
        for response_type, status, code, message in GATEWAY_RESPONSES:
            self.rest_api.add_gateway_response(
                f"{response_type.response_type.title().replace('_', '')}Response",
                type=response_type,
                status_code=status,
                response_headers={"Content-Type": "'application/json'", **cors},
                templates={"application/json": error_body(code, message)},
            )
        # Checks required path parameters. Bodies are only checked against request models and none are
        # declared: the handlers validate bodies (pydantic) and answer in the error shape (422).
        self.validator = self.rest_api.add_request_validator(
            "Validator", validate_request_body=True, validate_request_parameters=True
        )
        self.authorizer = self._authorizer(functions, lambdas)
        # (METHOD, path) -> method; `public` holds the routes declared authorized=False
        self.methods: dict[tuple[str, str], apigw.Method] = {}
        self.public: set[tuple[str, str]] = set()
        for fn in functions:
            integration = apigw.LambdaIntegration(lambdas[fn.name], proxy=True, allow_test_invoke=False)
            for route in fn.routes:
                self._add_route(route, integration)
        if browser_origin:
            self._allow_preflight(browser_origin)

    def _authorizer(
        self, functions: tuple[Function, ...], lambdas: Mapping[str, lambda_.IFunction]
    ) -> apigw.RequestAuthorizer | None:
        found = [(fn.name, t) for fn in functions for t in fn.triggers if isinstance(t, AuthorizerTrigger)]
        names = [name for name, _ in found]
        if len(names) > 1:
            raise ValueError(f"one authorizer function expected, found {names}")
        needed = any(route.authorized for fn in functions for route in fn.routes)
        if needed != bool(names):
            raise ValueError("authorized routes need exactly one AuthorizerTrigger function, and vice versa")
        if not names:
            return None
        return apigw.RequestAuthorizer(
            self,
            "Authorizer",
            handler=lambdas[names[0]],
            identity_sources=[apigw.IdentitySource.header("Authorization")],
            # A cached decision is reused for every route: right because the authorizer allows all
            # routes (allow_all_routes) and handlers check the kind.
            results_cache_ttl=Duration.seconds(found[0][1].cache_ttl_s),
        )

    def _allow_preflight(self, origin: str) -> None:
        """OPTIONS on every resource with a route, answered by API Gateway itself (a mock integration)."""
        methods: dict[str, list[str]] = {}
        for method, path in self.methods:
            methods.setdefault(path, []).append(method)
        for path, allowed in sorted(methods.items()):
            self.rest_api.root.resource_for_path(path).add_cors_preflight(
                allow_origins=[origin],
                allow_methods=sorted(allowed),
                allow_headers=list(BROWSER_REQUEST_HEADERS),
                max_age=Duration.hours(1),
            )

    def _add_route(self, route: Route, integration: apigw.LambdaIntegration) -> None:
        resource = self.rest_api.root.resource_for_path(route.path)
        params = re.findall(r"\{(\w+)\+?\}", route.path)
        method = resource.add_method(
            route.method,
            integration,
            authorizer=self.authorizer if route.authorized else None,
            authorization_type=apigw.AuthorizationType.CUSTOM if route.authorized else apigw.AuthorizationType.NONE,
            request_validator=self.validator,
            request_parameters={f"method.request.path.{p}": True for p in params},
        )
        self.methods[(route.method, route.path)] = method
        if not route.authorized:
            self.public.add((route.method, route.path))

"""HTTP plumbing every API function shares: the error shape, the kind check, the body limit."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestUnsupportedContentType, RequestValidationError
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseHeader

from shared.console_site import BROWSER_REQUEST_HEADERS
from shared.domain.errors import DomainError
from shared.domain.principal import Principal
from shared.logging import masked_logger
from shared.schemas.errors import ErrorBody, ErrorDetail, error_body
from shared.schemas.limits import MAX_BODY_BYTES
from shared.topology import Function, Kind

_log = masked_logger()

STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    503: "service_unavailable",
}


def error(status: int, code: str, message: str, details: list[ErrorDetail] | None = None) -> Response[Any]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(error_body(code, message, details)),
    )


# The code each status answers with wherever it occurs; a route adds its own (409s, mostly).
DEFAULT_CODES: dict[int, tuple[str, ...]] = {
    400: ("malformed_json",),
    401: ("unauthorized",),
    403: ("forbidden",),
    404: ("not_found",),
    413: ("payload_too_large",),
    415: ("unsupported_media_type",),
    422: ("validation_failed",),
    503: ("in_progress",),
}


def documented_errors(*statuses: int, codes: dict[int, tuple[str, ...]] | None = None) -> dict[int, OpenAPIResponse]:
    """OpenAPI entries for the error statuses a route can answer, all with the one error shape and the
    `error.code` values each status carries. 404 and 422 are always among them: a path that matches no
    route (bad characters in a path parameter) is not_found, and an unknown query parameter is
    validation_failed, on every route."""
    extra = codes or {}
    every = sorted({*statuses, *extra, 404, 422})
    responses: dict[int, OpenAPIResponse] = {}
    for status in every:
        listed = ", ".join(f"`{c}`" for c in (*DEFAULT_CODES.get(status, ()), *extra.get(status, ())))
        responses[status] = {
            "description": f"{STATUS_CODES[status].replace('_', ' ')}; `error.code`: {listed}",
            "content": {"application/json": {"model": ErrorBody}},
        }
    return responses


def header(description: str) -> OpenAPIResponseHeader:
    """A documented response header (a string)."""
    return {"description": description, "schema": {"type": "string"}}


LOCATION = header("Where the resource can be read")
REPLAYED = header("`true` when this answers a request already handled (the first answer again)")


def principal_of(event: dict[str, Any]) -> Principal | None:
    """The principal the Lambda authorizer put in the request context."""
    ctx = (event.get("requestContext") or {}).get("authorizer") or {}
    try:
        return Principal(
            principal_id=ctx["principalId"],
            kind=Kind(ctx["kind"]),
            name=ctx["name"],
            nodes=tuple(n for n in str(ctx.get("nodes", "")).split(",") if n),
        )
    except (KeyError, ValueError):
        return None


def _proxy(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def proxy_error(status: int, code: str, message: str) -> dict[str, Any]:
    """An API Gateway proxy result, for refusals made before the resolver runs."""
    return _proxy(status, error_body(code, message))


def guard(event: dict[str, Any], fn: Function, max_body_bytes: int) -> tuple[dict[str, Any] | None, Principal | None]:
    """Checks what must be refused before the body is even parsed: who calls, and how much they send."""
    method, resource = event.get("httpMethod", ""), event.get("resource", "")
    route = next((r for r in fn.routes if r.method == method and r.path == resource), None)
    principal = None
    if route is not None and route.authorized:
        principal = principal_of(event)
        if principal is None:
            return proxy_error(401, "unauthorized", "a valid API key is required: Authorization: Bearer <key>"), None
        if principal.kind not in route.kinds:
            kinds = ", ".join(k.value for k in route.kinds)
            kind = principal.kind.value
            message = f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} key cannot call this; it needs: {kinds}"
            return proxy_error(403, "forbidden", message), None
    unknown = sorted(set(event.get("queryStringParameters") or {}) - set(route.query if route else ()))
    if unknown:
        details = [ErrorDetail(field=name, issue="unknown query parameter") for name in unknown]
        body_json = error_body("validation_failed", "the request has unknown query parameters", details)
        return _proxy(422, body_json), principal
    if method in ("POST", "PUT", "PATCH"):
        if not _is_json(event.get("headers") or {}):
            message = "send the body as Content-Type: application/json (or a +json type)"
            return proxy_error(415, "unsupported_media_type", message), principal
        _normalise_content_type(event)
    body = event.get("body") or ""
    if len(body.encode() if isinstance(body, str) else body) > max_body_bytes:
        return proxy_error(413, "payload_too_large", f"the body is over the {max_body_bytes} byte limit"), principal
    if body and not _parses(body):
        return proxy_error(400, "malformed_json", "the body is not valid JSON"), principal
    return None, principal


def _parses(body: str | bytes) -> bool:
    """JSON the resolver can read: also refuses what would blow the parser's limits (nesting
    deeper than the recursion limit, integers of thousands of digits) rather than fail inside it."""
    try:
        json.loads(body)
    except (ValueError, RecursionError):
        return False
    return True


def _media_type(headers: dict[str, Any]) -> str:
    """The Content-Type's media type, lower-case, without parameters ("" when absent)."""
    value = next((v for k, v in headers.items() if k.lower() == "content-type"), "") or ""
    return str(value).split(";")[0].strip().lower()


def _is_json(headers: dict[str, Any]) -> bool:
    """No Content-Type (curl -d without -H) is read as JSON; anything else must say JSON. Media
    types are case-insensitive (RFC 9110), and a structured +json suffix is JSON too."""
    media = _media_type(headers)
    return media in ("", "application/json") or (media.startswith("application/") and media.endswith("+json"))


def _normalise_content_type(event: dict[str, Any]) -> None:
    """Powertools' body validation reads only a literal lower-case `application/json` prefix and
    raises on anything else: a JSON body accepted above is handed on as plain `application/json`."""
    for name in ("headers", "multiValueHeaders"):
        headers = event.get(name)
        if not headers:
            continue
        for key in [k for k in headers if k.lower() == "content-type"]:
            del headers[key]
        headers["Content-Type"] = ["application/json"] if name == "multiValueHeaders" else "application/json"


def _field_path(loc: tuple[Any, ...]) -> str:
    """('body', 'lines', 0, 'quantity') -> 'lines[0].quantity'."""
    out = ""
    for part in loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part:
            out += f".{part}" if out else str(part)
    return out or (str(loc[0]) if loc else "body")


def _issue(error: dict[str, Any]) -> str:
    """A validator's own words: pydantic prefixes a ValueError's message with "Value error, "."""
    raised = (error.get("ctx") or {}).get("error")
    if error.get("type") == "value_error" and raised is not None:
        return str(raised)
    return str(error.get("msg", ""))


def validation_error(exc: RequestValidationError) -> Response[Any]:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return error(400, "malformed_json", "the body is not valid JSON")
    details = [ErrorDetail(field=_field_path(tuple(e.get("loc", ()))), issue=_issue(e)) for e in errors]
    return error(422, "validation_failed", f"{len(details)} field(s) are invalid", details)


def install_error_handlers(app: APIGatewayRestResolver) -> None:
    """The handlers every API function shares: validation errors and unknown routes."""

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def _invalid(exc: RequestValidationError) -> Response[Any]:
        return validation_error(exc)

    @app.exception_handler(DomainError)  # type: ignore[untyped-decorator]
    def _refused(exc: DomainError) -> Response[Any]:
        # the one place a domain error becomes an HTTP answer: it says which (shared/domain/errors.py)
        if exc.http_status is None:
            return _internal_error()
        details = [ErrorDetail(field=name, issue=issue) for name, issue in exc.http_details()]
        return error(exc.http_status, exc.http_code(), exc.http_message(), details or None)

    @app.not_found
    def _not_found(_: Exception) -> Response[Any]:
        return error(404, "not_found", "no such resource")

    @app.exception_handler(RequestUnsupportedContentType)  # type: ignore[untyped-decorator]
    def _unsupported(_exc: RequestUnsupportedContentType) -> Response[Any]:
        return error(415, "unsupported_media_type", "send the body as Content-Type: application/json")

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def _unexpected(exc: Exception) -> Response[Any]:
        if _in_progress(exc):
            answer = error(503, "in_progress", "the same request is being processed right now; retry in a second")
            answer.headers["Retry-After"] = "1"
            return answer
        return _internal_error()


# Powertools' idempotency module: loaded by a function's first once-per-key side effect (an email),
# not here, so the check below costs no import.
_IDEMPOTENCY_ERRORS = "aws_lambda_powertools.utilities.idempotency.exceptions"


def _in_progress(exc: Exception) -> bool:
    """Whether exc is a concurrent request performing the same side effect (its in-progress record)."""
    errors = sys.modules.get(_IDEMPOTENCY_ERRORS)
    return errors is not None and isinstance(exc, errors.IdempotencyAlreadyInProgressError)


def _internal_error() -> Response[Any]:
    # API Gateway would answer a crashed function with its own body; answer in ours, without details.
    _log.exception("unhandled error")
    return error(500, "internal_error", "the request could not be processed; it is safe to retry")


def resolver(
    register: Callable[[APIGatewayRestResolver], None], browser_origin: str | None = None
) -> APIGatewayRestResolver:
    """A validating resolver with the function's routes and the shared error handlers; its answers
    carry CORS headers for a request from `browser_origin` (the console) and no other."""
    cors = None
    if browser_origin:
        cors = CORSConfig(allow_origin=browser_origin, allow_headers=list(BROWSER_REQUEST_HEADERS), max_age=3600)
    app = APIGatewayRestResolver(enable_validation=True, cors=cors)
    register(app)
    install_error_handlers(app)
    return app


def serve(
    app: APIGatewayRestResolver, fn: Function, event: dict[str, Any], context: Any, ports: object
) -> dict[str, Any]:
    """Refuses what must be refused before parsing, then resolves the route with the ports at hand."""
    refused, principal = guard(event, fn, MAX_BODY_BYTES)
    if refused is not None:
        return refused
    app.append_context(principal=principal, ports=ports)  # type: ignore[no-untyped-call]
    return app.resolve(event, context)

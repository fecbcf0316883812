"""HTTP API v1 for orders: capture, reads, and the OpenAPI document. Wiring only; logic is in use cases."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import Server
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import http
from shared.adapters.dynamodb_orders import DynamoDBOrders
from shared.adapters.sfn_workflow import StepFunctionsWorkflow
from shared.adapters.system import SystemClock, new_order_id
from shared.aws import client
from shared.domain.errors import IdempotencyConflict
from shared.domain.principal import Principal
from shared.logging import masked_logger
from shared.schemas.capture import MAX_BODY_BYTES, CaptureOrder
from shared.schemas.order_view import OrderList, OrderView
from shared.settings import OrdersSettings
from shared.topology import FULFILMENT, function
from shared.usecases.capture_order import capture_order

FUNCTION = function("orders_api")
settings = OrdersSettings.from_env()
logger: Logger = masked_logger()
app = APIGatewayRestResolver(enable_validation=True)
orders = DynamoDBOrders(client("dynamodb"), settings.orders_table)
workflow = StepFunctionsWorkflow(client("stepfunctions"), settings.fulfilment_arn)
clock = SystemClock()

OrderId = Annotated[str, Path(pattern=r"^ord_[0-9a-z]{1,64}$", description="The order id Waybill assigned")]


def _principal() -> Principal:
    principal: Principal = app.context["principal"]
    return principal


def _order_response(view: OrderView, status: int, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(status, content_types.APPLICATION_JSON, view.model_dump_json(), headers=headers)


@app.post(
    "/v1/orders",
    summary="Capture an order",
    description="Idempotent on (channel, external_id): a replay with the same body answers the first "
    "response again with `Idempotent-Replayed: true`; a different body is 409 idempotency_conflict.",
    responses={
        202: {"description": "Accepted", "content": {"application/json": {"model": OrderView}}},
        **http.documented_errors(400, 401, 403, 409, 413, 415, 422),
    },
    tags=["orders"],
)
def post_order(order: Annotated[CaptureOrder, Body()]) -> Response[Any]:
    channel = _principal().name
    result = capture_order(
        order,
        channel,
        orders=orders,
        workflow=workflow,
        clock=clock,
        new_order_id=new_order_id,
        state_machine=FULFILMENT.name,
    )
    headers = {"Location": f"/v1/orders/{result.order.order_id}"}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    logger.info("order captured", order_id=result.order.order_id, replayed=result.replayed, channel=channel)
    return _order_response(OrderView.of(result.order), 202, headers)


@app.get(
    "/v1/orders/<order_id>",
    summary="Read an order",
    responses={
        200: {"description": "The order", "content": {"application/json": {"model": OrderView}}},
        **http.documented_errors(401, 403, 404, 422),
    },
    tags=["orders"],
)
def get_order(order_id: OrderId) -> Response[Any]:
    order = orders.get(order_id)
    # Another channel's order is answered exactly like a missing one.
    if order is None or not _principal().sees_order_of(order.channel):
        return http.error(404, "not_found", f"order {order_id} not found")
    return _order_response(OrderView.of(order), 200)


@app.get(
    "/v1/orders",
    summary="Find the channel's order by its own id",
    responses={
        200: {"description": "Zero or one order", "content": {"application/json": {"model": OrderList}}},
        **http.documented_errors(401, 403, 422),
    },
    tags=["orders"],
)
def find_orders(
    external_id: Annotated[str, Query(min_length=1, max_length=128, description="The channel's order id")],
) -> Response[Any]:
    record = orders.find_capture(_principal().name, external_id)
    order = orders.get(record.order_id) if record else None
    body = OrderList(orders=[OrderView.of(order)] if order else [])
    return Response(200, content_types.APPLICATION_JSON, body.model_dump_json())


@app.get("/v1/openapi.json", include_in_schema=False)
def openapi() -> Response[Any]:
    return Response(200, content_types.APPLICATION_JSON, openapi_document())


def openapi_document() -> str:
    return app.get_openapi_json_schema(
        title="Waybill HTTP API",
        version="1.0.0",
        description="Order capture and management. Money is in integer minor units of the order currency.",
        servers=[Server(url="/")],
        security_schemes={"bearer": {"type": "http", "scheme": "bearer"}},  # type: ignore[dict-item]
        security=[{"bearer": []}],
    )


@app.exception_handler(RequestValidationError)
def _invalid(exc: RequestValidationError) -> Response[Any]:
    return http.validation_error(exc)


@app.exception_handler(IdempotencyConflict)
def _conflict(exc: IdempotencyConflict) -> Response[Any]:
    return http.error(409, exc.code, str(exc))


@app.not_found
def _not_found(_: Exception) -> Response[Any]:
    return http.error(404, "not_found", "no such resource")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    refused, principal = http.guard(event, FUNCTION, MAX_BODY_BYTES)
    if refused is not None:
        return refused
    app.append_context(principal=principal)
    return app.resolve(event, context)

"""Order routes of HTTP API v1: capture and reads. Registered on the orders function's resolver, and
on the resolver that generates the OpenAPI document (functions/orders_api/openapi.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from functions.orders_api import search_routes
from shared import http, metrics
from shared.adapters.system import new_order_id
from shared.domain.audit import Actor
from shared.domain.order import Order
from shared.domain.principal import Principal
from shared.ports import (
    Clock,
    DocumentStore,
    FulfilmentRequests,
    Inventory,
    OrderRepository,
    RefundLedger,
    TaskSignals,
    Workflow,
)
from shared.schemas.cancel import CancelRequest, ReturnRequest
from shared.schemas.capture import CaptureOrder
from shared.schemas.order_view import OrderView, return_view
from shared.schemas.shipment_view import ReturnView
from shared.topology import PREPARATION
from shared.usecases.search_orders import OrderIndex

OrderId = Annotated[str, Path(pattern=r"^ord_[0-9a-z]{1,64}$", description="The order id Waybill assigned")]


@dataclass(frozen=True)
class OrdersPorts:
    orders: OrderRepository
    workflow: Workflow
    documents: DocumentStore  # labels, pick lists, packing slips: linked from the order's shipments
    inventory: Inventory
    ledger: RefundLedger
    refunds_workflow: Workflow
    returns_workflow: Workflow
    signals: TaskSignals
    requests: FulfilmentRequests  # tells nodes that a shipment they hold was cancelled
    clock: Clock
    search: OrderIndex  # the orders table's secondary indexes
    logger: Logger
    # emails the customer the cancellation, once per order (returns the message id)
    notify_cancelled: Callable[[str], str]

    def view(self, order: Order) -> OrderView:
        return OrderView.of(order, self.documents.url, self.ledger.list(order_id=order.order_id))


def _order_response(view: OrderView, status: int, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(status, content_types.APPLICATION_JSON, view.model_dump_json(), headers=headers)


def register(app: APIGatewayRestResolver) -> None:
    def ports() -> OrdersPorts:
        found: OrdersPorts = app.context["ports"]
        return found

    def principal() -> Principal:
        found: Principal = app.context["principal"]
        return found

    @app.post(
        "/v1/orders",
        summary="Capture an order",
        description="Idempotent on (channel, external_id): a replay with the same body answers the first "
        "response again with `Idempotent-Replayed: true`; a different body is 409 idempotency_conflict.",
        responses={
            202: {
                "description": "Accepted (or, replayed, the first answer again)",
                "content": {"application/json": {"model": OrderView}},
                "headers": {"Location": http.LOCATION, "Idempotent-Replayed": http.REPLAYED},
            },
            **http.documented_errors(400, 401, 403, 413, 415, 422, codes={409: ("idempotency_conflict",)}),
        },
        tags=["orders"],
        operation_id="capture_order",
    )
    def post_order(order: Annotated[CaptureOrder, Body()]) -> Response[Any]:
        # Each write's use case is imported by its route: a function serving mostly reads loads none of them.
        from shared.usecases.capture_order import capture_order

        p, channel = ports(), principal().name
        result = capture_order(
            order,
            channel,
            orders=p.orders,
            workflow=p.workflow,
            clock=p.clock,
            new_order_id=new_order_id,
            state_machine=PREPARATION.name,
        )
        headers = {"Location": f"/v1/orders/{result.order.order_id}"}
        if result.replayed:
            headers["Idempotent-Replayed"] = "true"
        p.logger.info("order captured", order_id=result.order.order_id, replayed=result.replayed, channel=channel)
        return _order_response(OrderView.of(result.order), 202, headers)

    @app.get(
        "/v1/orders/<order_id>",
        summary="Read an order",
        responses={
            200: {"description": "The order", "content": {"application/json": {"model": OrderView}}},
            **http.documented_errors(401, 403, 404, 422),
        },
        tags=["orders"],
        operation_id="get_order",
    )
    def get_order(order_id: OrderId) -> Response[Any]:
        order = ports().orders.get(order_id)
        # Another channel's order is answered exactly like a missing one.
        if order is None or not principal().sees_order_of(order.channel):
            return http.error(404, "not_found", f"order {order_id} not found")
        return _order_response(ports().view(order), 200)

    search_routes.register(app)  # GET /v1/orders: search, and the lookup by the channel's own id

    @app.post(
        "/v1/orders/<order_id>/cancel",
        summary="Cancel what has not shipped",
        description="Stops the order's fulfilment (or, when part has shipped, the shipments still at their "
        "nodes), gives their stock back and refunds what was paid for them (lines, their tax share, and "
        "shipping when nothing had shipped). Cancelling again answers the same cancellation and refund. "
        "An order that has fully shipped is 409 `already_shipped`: open a return instead.",
        responses={
            202: {
                "description": "Cancelled; the refund follows in `refunds` (PENDING, then settled)",
                "content": {"application/json": {"model": OrderView}},
            },
            **http.documented_errors(
                400, 401, 403, 404, 413, 415, 422, 503, codes={409: ("already_shipped", "refund_exceeds_captured")}
            ),
        },
        tags=["orders"],
        operation_id="cancel_order",
    )
    def cancel(order_id: OrderId, request: Annotated[CancelRequest, Body()]) -> Response[Any]:
        from shared.usecases.cancel_order import cancel_order

        p, who = ports(), principal()
        order = p.orders.get(order_id)
        if order is None or not who.sees_order_of(order.channel):
            return http.error(404, "not_found", f"order {order_id} not found")
        outcome = cancel_order(
            order_id,
            request.reason,
            str(Actor.of(who)),
            orders=p.orders,
            inventory=p.inventory,
            workflow=p.workflow,
            refunds_workflow=p.refunds_workflow,
            signals=p.signals,
            requests=p.requests,
            ledger=p.ledger,
            clock=p.clock,
            actor=Actor.of(who),
        )
        message_id = p.notify_cancelled(order_id)
        p.logger.info("order cancelled", order_id=order_id, whole=outcome.cancellation.whole, message_id=message_id)
        metrics.action_taken("cancel")
        after = p.orders.get(order_id) or outcome.order
        return _order_response(p.view(after), 202)

    @app.post(
        "/v1/orders/<order_id>/returns",
        summary="Open a return (RMA) for delivered lines",
        description="Quantities may not exceed what was delivered and not already asked back (409 "
        "`exceeds_returnable`); the order must be DELIVERED (409 `not_returnable`). The return state machine "
        "buys a return label (shown on the order's `returns` within seconds), waits for the warehouse's "
        "`return_received` event, restocks resellable units and refunds every returned unit with its line's "
        "tax share; shipping is refunded only when nothing of the order is kept.",
        responses={
            202: {
                "description": "The RMA, label to follow",
                "content": {"application/json": {"model": ReturnView}},
                "headers": {"Location": http.LOCATION},
            },
            **http.documented_errors(
                400, 401, 403, 404, 413, 415, 422, codes={409: ("not_returnable", "exceeds_returnable")}
            ),
        },
        tags=["orders"],
        operation_id="open_return",
    )
    def open_rma(order_id: OrderId, request: Annotated[ReturnRequest, Body()]) -> Response[Any]:
        from shared.usecases.returns import open_return

        p, who = ports(), principal()
        order = p.orders.get(order_id)
        if order is None or not who.sees_order_of(order.channel):
            return http.error(404, "not_found", f"order {order_id} not found")
        rma = open_return(
            order_id,
            request.units(),
            request.reason,
            orders=p.orders,
            returns=p.returns_workflow,
            clock=p.clock,
            actor=Actor.of(who),
        )
        p.logger.info("return opened", order_id=order_id, rma_id=rma.rma_id)
        metrics.action_taken("return")
        headers = {"Location": f"/v1/orders/{order_id}"}
        return Response(202, content_types.APPLICATION_JSON, return_view(rma).model_dump_json(), headers=headers)

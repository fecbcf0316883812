"""`GET /v1/orders`: order search (status, channel, dates, SKU, node; cursor pages) and the lookup
by a channel's own id. Registered by the order routes (functions/orders_api/routes.py)."""

from __future__ import annotations

from typing import Annotated, Any, Protocol

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query

from shared import http
from shared.domain.order import Order, OrderStatus
from shared.domain.principal import Principal
from shared.ports import OrderRepository
from shared.schemas.errors import ErrorDetail
from shared.schemas.order_search import IsoTime, OrderPage, OrderSummary
from shared.usecases.search_orders import DEFAULT_LIMIT, MAX_LIMIT, OrderFilter, OrderIndex, scoped, search_orders

_TEXT = {"min_length": 1, "max_length": 128}


class SearchPorts(Protocol):
    @property
    def orders(self) -> OrderRepository: ...

    @property
    def search(self) -> OrderIndex: ...


def _page(orders: list[Order], next_: str | None) -> Response[Any]:
    body = OrderPage(orders=[OrderSummary.of(o) for o in orders], next=next_)
    return Response(200, content_types.APPLICATION_JSON, body.model_dump_json())


def register(app: APIGatewayRestResolver) -> None:
    @app.get(
        "/v1/orders",
        summary="Search orders, or find one by the channel's own id",
        description="Filters combine; newest first. A channel key sees its own orders only (naming another "
        "channel is 403). Follow `next` as `cursor`, with the same filters, until it is null: a page may hold "
        "fewer than `limit` orders while `next` is set. Each filter is served by a secondary index, never a "
        "table scan (docs/operations.md has the plan). `external_id` finds the order a channel captured under "
        "its own id (ops and finance name the `channel` too).",
        responses={
            200: {"description": "A page of order summaries", "content": {"application/json": {"model": OrderPage}}},
            **http.documented_errors(401, 403, 422, codes={400: ("invalid_cursor",)}),
        },
        tags=["orders"],
        operation_id="find_orders",
    )
    def find_orders(
        status: Annotated[OrderStatus | None, Query(description="The order's status")] = None,
        channel: Annotated[str | None, Query(**_TEXT, description="The channel it was captured from")] = None,
        created_from: Annotated[IsoTime | None, Query(description="Created at or after (ISO 8601)")] = None,
        created_to: Annotated[IsoTime | None, Query(description="Created before (ISO 8601)")] = None,
        sku: Annotated[str | None, Query(**_TEXT, description="Has a line of this SKU")] = None,
        node_id: Annotated[
            str | None, Query(**_TEXT, description="Routed to, shipping from or picked up at this node")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Orders per page")] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, Query(min_length=1, max_length=1024, description="`next` of a page")] = None,
        external_id: Annotated[str | None, Query(**_TEXT, description="The channel's own order id")] = None,
    ) -> Response[Any]:
        p: SearchPorts = app.context["ports"]
        who: Principal = app.context["principal"]
        f = scoped(OrderFilter(status, channel, created_from, created_to, sku, node_id), who)
        if external_id is None:
            page = search_orders(f, limit, cursor, index=p.search)
            return _page(page.orders, page.next)
        if f.channel is None:
            issue = f"required with external_id for a {who.kind.value} key (an external_id is per channel)"
            return http.error(
                422, "validation_failed", "1 field(s) are invalid", [ErrorDetail(field="channel", issue=issue)]
            )
        record = p.orders.find_capture(f.channel, external_id)
        order = p.orders.get(record.order_id) if record else None
        return _page([order] if order and f.matches(order) else [], None)

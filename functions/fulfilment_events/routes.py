"""POST /v1/fulfillment-events: warehouses and carrier integrations report shipment progress.
Registered on the events function's resolver and on the OpenAPI resolver."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body

from shared import http
from shared.domain.errors import OrderNotFound
from shared.domain.order import ReturnRefused
from shared.domain.principal import Kind, Principal
from shared.domain.shipment import Shipment
from shared.ports import Clock, OrderRepository, TaskSignals
from shared.schemas.fulfilment_events import EventResult, FulfilmentEventIn, ReturnReceived
from shared.schemas.order_view import return_view, shipment_view
from shared.usecases.fulfilment_events import EventOutcome, apply_event


@dataclass(frozen=True)
class EventPorts:
    orders: OrderRepository
    signals: TaskSignals
    clock: Clock
    logger: Logger
    # emails the customer about a delivery problem, once per shipment: (order_id, shipment_id) -> message id
    notify_exception: Callable[[str, str], str]
    # emails the customer that the parcel arrived, once, if the shipment as saved owes it (delivered_email)
    notify_delivered: Callable[[str, Shipment], str | None]


def handle(event: FulfilmentEventIn, principal: Principal, ports: EventPorts) -> EventResult:
    """The one path for both entry points (queue and API)."""
    if isinstance(event, ReturnReceived):
        return _returned(event, principal, ports)
    outcome = apply_event(
        event.domain(),
        event.shipment_id,
        node_id=getattr(event, "node_id", None),
        tracking_number=getattr(event, "tracking_number", None),
        principal=principal,
        orders=ports.orders,
        signals=ports.signals,
        clock=ports.clock,
    )
    if event.type == "delivery_exception":
        # also on a redelivery: a first attempt that failed to send is completed, a sent one is not repeated
        ports.notify_exception(outcome.order.order_id, event.shipment_id)
    elif event.type in ("delivered", "collected"):
        # likewise; owed only once the hand-over's own email is recorded (else the hand-over sends it)
        ports.notify_delivered(outcome.order.order_id, outcome.shipment)
    ports.logger.info(
        "fulfilment event",
        event_id=event.event_id,
        event_type=event.type,
        shipment_id=event.shipment_id,
        applied=outcome.applied,
        shipment_status=outcome.shipment.status.value,
        order_status=outcome.order.status.value,
    )
    return result(event.event_id, outcome)


def _returned(event: ReturnReceived, principal: Principal, ports: EventPorts) -> EventResult:
    # Imported here: only a return's arrival needs the returns use case (and the refunds it opens).
    from shared.usecases.returns import order_id_of_rma, receive_return

    order_id = order_id_of_rma(event.rma_id)
    order = ports.orders.get(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    rma = order.return_of(event.rma_id)
    if principal.kind == Kind.CARRIER or (principal.kind == Kind.WAREHOUSE and rma.node_id not in principal.nodes):
        raise ReturnRefused(f"no return {event.rma_id}", "not_found")
    applied = receive_return(
        event.rma_id,
        event.event_id,
        event.node_id,
        event.found(),
        orders=ports.orders,
        signals=ports.signals,
        clock=ports.clock,
    )
    after = ports.orders.get(order_id) or order
    ports.logger.info("return received", event_id=event.event_id, rma_id=event.rma_id, applied=applied)
    return EventResult(
        event_id=event.event_id,
        outcome="applied" if applied else "duplicate",
        order_id=order_id,
        order_status=after.status.value,
        rma=return_view(after.return_of(event.rma_id)),
    )


def result(event_id: str, outcome: EventOutcome) -> EventResult:
    return EventResult(
        event_id=event_id,
        outcome="applied" if outcome.applied else "duplicate",
        order_id=outcome.order.order_id,
        order_status=outcome.order.status.value,
        shipment=shipment_view(outcome.shipment),
    )


# error.code of a 409: an event that does not fit its shipment (or a return that does not fit its RMA)
EVENT_CONFLICTS = (
    "out_of_order",
    "stale_event",
    "wrong_node",
    "wrong_tracking_number",
    "wrong_sender",
    "wrong_event",
    "missing_parcel",
    "wrong_lines",
)


def register(app: APIGatewayRestResolver) -> None:
    @app.post(
        "/v1/fulfillment-events",
        summary="Report a warehouse or carrier event for a shipment",
        description="The same events as the events queue. Warehouses: `accepted`, `picked`, `packed` (with the "
        "parcel), `rejected` (with a reason), `collected` (pickup orders), for their own nodes. Carrier "
        "integrations: `in_transit`, `out_for_delivery`, `delivery_exception`, `delivered`, with the tracking "
        "number. Steps apply in order; an event that does not fit the shipment is 409 and changes nothing; a closed "
        "shipment (cancelled, rejected, or released when its order failed) is 409 `shipment_closed`; a parcel over "
        "the carrier's limits is 422 `parcel_over_limit` (re-pack it). "
        "Sending an `event_id` again is harmless: 200 with `outcome: duplicate` and `Idempotent-Replayed: true`; "
        "the same `event_id` with a different body is 409 `event_id_conflict`. An `occurred_at` more than 15 "
        "minutes in the future or before the order was captured is 422.",
        responses={
            200: {
                "description": "Applied, or a redelivery",
                "content": {"application/json": {"model": EventResult}},
                "headers": {"Idempotent-Replayed": http.REPLAYED},
            },
            **http.documented_errors(400, 401, 403, 404, 413, 415, 422, 503, codes={409: EVENT_CONFLICTS}),
        },
        tags=["fulfilment"],
        operation_id="report_fulfilment_event",
    )
    def post_event(event: Annotated[FulfilmentEventIn, Body()]) -> Response[Any]:
        answer = handle(event, app.context["principal"], app.context["ports"])
        headers = None if answer.outcome == "applied" else {"Idempotent-Replayed": "true"}
        return Response(200, content_types.APPLICATION_JSON, answer.model_dump_json(), headers=headers)

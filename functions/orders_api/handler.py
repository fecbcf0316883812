"""Lambda entry point of the order routes and the OpenAPI document. Wiring only."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.orders_api import routes, shipment_routes
from shared import http
from shared.bootstrap import Wiring
from shared.exactly_once import sent_then_recorded
from shared.topology import CANCELLED, FULFILMENT, PREPARATION, REFUNDS, RETURNS
from shared.usecases.notify import mail_cancellation_email, record_order_email

w = Wiring("orders_api")
logger = w.logger
orders, mailer, template, clock = w.orders(), w.mailer(), w.template(CANCELLED), w.clock
once, config = w.once_per("order_id")


# The idempotency key is this function's name and the task's key: keep both across deploys.
@once
def email_cancelled(task: dict[str, Any]) -> dict[str, Any]:
    return {"message_id": mail_cancellation_email(task["order_id"], orders=orders, mailer=mailer, template=template)}


cancelled_email = sent_then_recorded(
    email_cancelled,
    record=lambda task, sent: record_order_email(task["order_id"], "cancelled", sent, orders=orders, clock=clock),
)


ports = routes.OrdersPorts(
    orders=orders,
    workflow=w.workflow(PREPARATION),
    documents=w.documents(),
    inventory=w.inventory(on_first_use=True),  # only cancelling touches stock
    ledger=w.ledger(),
    refunds_workflow=w.workflow(REFUNDS),
    returns_workflow=w.workflow(RETURNS),
    signals=w.signals(FULFILMENT),
    requests=w.fulfilment_requests(),
    clock=clock,
    search=w.order_search(),
    logger=logger,
    notify_cancelled=lambda order_id: cancelled_email({"order_id": order_id}),
)


def register(resolver: APIGatewayRestResolver) -> None:
    routes.register(resolver)
    shipment_routes.register(resolver)


app = http.resolver(register, w.browser_origin())


@app.get("/v1/openapi.json", include_in_schema=False)
def get_openapi() -> Response[Any]:
    # Imported here: it loads every API function's routes (~0.3 s), needed only by this route.
    from functions.orders_api import openapi

    return Response(200, content_types.APPLICATION_JSON, openapi.document())


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config.register_lambda_context(context)
    return http.serve(app, w.function, event, context, ports=ports)

"""Lambda entry point of the order routes and the OpenAPI document. Wiring only."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.orders_api import openapi, routes
from shared import http
from shared.bootstrap import Wiring
from shared.topology import FULFILMENT, REFUNDS, RETURNS

w = Wiring("orders_api")
logger = w.logger
ports = routes.OrdersPorts(
    orders=w.orders(),
    workflow=w.workflow(FULFILMENT),
    documents=w.documents(),
    inventory=w.inventory(),
    ledger=w.ledger(),
    refunds_workflow=w.workflow(REFUNDS),
    returns_workflow=w.workflow(RETURNS),
    signals=w.signals(FULFILMENT),
    requests=w.fulfilment_requests(),
    clock=w.clock,
    logger=logger,
)
app = http.resolver(routes.register)


@app.get("/v1/openapi.json", include_in_schema=False)
def get_openapi() -> Response[Any]:
    return Response(200, content_types.APPLICATION_JSON, openapi.document())


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return http.serve(app, w.function, event, context, ports=ports)

"""Lambda entry point of the order routes and the OpenAPI document. Wiring only."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.orders_api import openapi, routes
from shared import http
from shared.adapters.dynamodb_inventory import DynamoDBInventory
from shared.adapters.dynamodb_ledger import DynamoDBLedger
from shared.adapters.dynamodb_orders import DynamoDBOrders
from shared.adapters.s3_documents import S3Documents
from shared.adapters.ses_mailer import SesMailer
from shared.adapters.sfn_signals import StepFunctionsSignals
from shared.adapters.sfn_workflow import StepFunctionsWorkflow
from shared.adapters.sqs_fulfilment import SqsFulfilmentRequests
from shared.adapters.system import SystemClock
from shared.aws import client
from shared.exactly_once import once_per
from shared.logging import masked_logger
from shared.settings import OrdersApiSettings
from shared.topology import function
from shared.usecases.notify import send_cancellation_email

FUNCTION = function("orders_api")
settings = OrdersApiSettings.from_env()
logger = masked_logger()
orders = DynamoDBOrders(client("dynamodb"), settings.orders_table)
mailer = SesMailer(client("ses"), settings.from_address, settings.shop_name)
clock = SystemClock()
once, config = once_per(settings.idempotency_table, "order_id")


@once
def email_cancelled(task: dict[str, Any]) -> dict[str, Any]:
    message_id = send_cancellation_email(
        task["order_id"], orders=orders, mailer=mailer, template=settings.cancelled_template, clock=clock
    )
    return {"message_id": message_id}


ports = routes.OrdersPorts(
    orders=orders,
    workflow=StepFunctionsWorkflow(client("stepfunctions"), settings.fulfilment_arn),
    documents=S3Documents(client("s3"), settings.documents_bucket),
    inventory=DynamoDBInventory(client("dynamodb"), settings.inventory_table),
    ledger=DynamoDBLedger(client("dynamodb"), settings.ledger_table),
    refunds_workflow=StepFunctionsWorkflow(client("stepfunctions"), settings.refunds_arn),
    returns_workflow=StepFunctionsWorkflow(client("stepfunctions"), settings.returns_arn),
    signals=StepFunctionsSignals(client("stepfunctions")),
    requests=SqsFulfilmentRequests(client("sqs"), settings.fulfilment_queue_url),
    clock=clock,
    logger=logger,
    notify_cancelled=lambda order_id: str(email_cancelled(task={"order_id": order_id})["message_id"]),
)
app = APIGatewayRestResolver(enable_validation=True)
routes.register(app)
http.install_error_handlers(app)


@app.get("/v1/openapi.json", include_in_schema=False)
def get_openapi() -> Response[Any]:
    return Response(200, content_types.APPLICATION_JSON, openapi.document())


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config.register_lambda_context(context)
    return http.serve(app, FUNCTION, event, context, ports=ports)

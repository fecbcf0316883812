"""Lambda entry point of warehouse and carrier events: the events queue and POST /v1/fulfillment-events.

Both go through routes.handle. From the queue, an event that cannot apply (unknown shipment,
wrong node, out of order) raises: SQS retries it (an early event may fit once the one before it
arrives) and then moves it to the DLQ, with the reason logged each time.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from functions.fulfilment_events import routes
from shared import http
from shared.adapters.dynamodb_orders import DynamoDBOrders
from shared.adapters.ses_mailer import SesMailer
from shared.adapters.sfn_signals import StepFunctionsSignals
from shared.adapters.system import SystemClock
from shared.aws import client
from shared.domain.errors import DomainError
from shared.domain.principal import Principal
from shared.exactly_once import once_per
from shared.logging import masked_logger
from shared.schemas.fulfilment_events import EVENT_ADAPTER
from shared.settings import EventsSettings
from shared.topology import Kind, function
from shared.usecases.notify import send_shipment_email

FUNCTION = function("fulfilment_events")
settings = EventsSettings.from_env()
logger = masked_logger()
orders = DynamoDBOrders(client("dynamodb"), settings.orders_table)
mailer = SesMailer(client("ses"), settings.from_address, settings.shop_name)
clock = SystemClock()
once, config = once_per(settings.idempotency_table, "key")


@once
def email_exception(task: dict[str, Any]) -> dict[str, Any]:
    message_id = send_shipment_email(
        task["order_id"],
        task["shipment_id"],
        "delivery_exception",
        orders=orders,
        mailer=mailer,
        template=settings.template,
        clock=clock,
    )
    return {"message_id": message_id}


def notify_exception(order_id: str, shipment_id: str) -> str:
    task = {"key": f"{shipment_id}#delivery_exception", "order_id": order_id, "shipment_id": shipment_id}
    return str(email_exception(task=task)["message_id"])


ports = routes.EventPorts(
    orders=orders,
    signals=StepFunctionsSignals(client("stepfunctions")),
    clock=clock,
    logger=logger,
    notify_exception=notify_exception,
)
app = APIGatewayRestResolver(enable_validation=True)
routes.register(app)
http.install_error_handlers(app)
processor = BatchProcessor(event_type=EventType.SQS)
# Whoever may send to the events queue is decided by IAM; the event's node and tracking number
# are still checked against the shipment.
QUEUE_SENDER = Principal("queue:events", Kind.ADMIN, "events-queue")


class EventNotApplied(Exception):
    """The event was refused; the message is retried and then dead-lettered."""


def record_handler(record: SQSRecord) -> str:
    try:
        event = EVENT_ADAPTER.validate_json(record.body)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        logger.error("invalid fulfilment event", message_id=record.message_id, reason=problems)
        raise EventNotApplied(problems) from err
    try:
        outcome = routes.handle(event, QUEUE_SENDER, ports)
    except DomainError as err:
        logger.error("fulfilment event refused", message_id=record.message_id, event_id=event.event_id, reason=str(err))
        raise EventNotApplied(str(err)) from err
    return outcome.outcome


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config.register_lambda_context(context)
    if "Records" in event:
        return dict(
            process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
        )
    return http.serve(app, FUNCTION, event, context, ports=ports)

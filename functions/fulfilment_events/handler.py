"""Lambda entry point of warehouse and carrier events: the events queue and POST /v1/fulfillment-events.

Both go through routes.handle. From the queue, an event that cannot apply (unknown shipment,
wrong node, out of order) raises: SQS retries it (an early event may fit once the one before it
arrives) and then moves it to the DLQ, with the reason logged each time. A parcel over the
carrier's limits is recorded on its shipment instead (re-pack it): retrying cannot change it.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.fulfilment_events import routes
from shared import http
from shared.batches import PartialBatch
from shared.bootstrap import Wiring
from shared.domain.errors import DomainError
from shared.domain.principal import Kind, Principal
from shared.domain.shipping import ParcelOverLimit
from shared.exactly_once import sent_then_recorded
from shared.queue_messages import Undeliverable, dead_letter_with_reason, parse
from shared.schemas.fulfilment_events import EVENT_ADAPTER, Packed
from shared.topology import DELIVERED, DELIVERY_EXCEPTION, EVENTS
from shared.usecases.delivered_email import delivered_notifier
from shared.usecases.fulfilment_events import note_repack
from shared.usecases.notify import mail_shipment_email, record_shipment_email

w = Wiring("fulfilment_events")
logger = w.logger
orders, mailer, template, clock = w.orders(), w.mailer(), w.template(DELIVERY_EXCEPTION), w.clock
once, config = w.once_per("key")


# The idempotency key is this function's name and the task's key: keep both across deploys.
@once
def email_exception(task: dict[str, Any]) -> dict[str, Any]:
    return {
        "message_id": mail_shipment_email(
            task["order_id"], task["shipment_id"], "delivery_exception", orders=orders, mailer=mailer, template=template
        )
    }


exception_email = sent_then_recorded(
    email_exception,
    record=lambda task, sent: record_shipment_email(
        task["order_id"], task["shipment_id"], "delivery_exception", sent, orders=orders, clock=clock
    ),
)


def notify_exception(order_id: str, shipment_id: str) -> str:
    return exception_email(
        {"key": f"{shipment_id}#delivery_exception", "order_id": order_id, "shipment_id": shipment_id}
    )


delivered_template = w.template(DELIVERED)
ports = routes.EventPorts(
    orders=orders,
    signals=w.signals(),
    clock=clock,
    logger=logger,
    notify_exception=notify_exception,
    notify_delivered=delivered_notifier(once, orders=orders, mailer=mailer, template=delivered_template, clock=clock),
)
app = http.resolver(routes.register)
# Whoever may send to the events queue is decided by IAM; the event's node and tracking number
# are still checked against the shipment.
QUEUE_SENDER = Principal("queue:events", Kind.ADMIN, "events-queue")


def apply_event(record: SQSRecord) -> str:
    event = parse(EVENT_ADAPTER, record, logger, "invalid fulfilment event")
    try:
        outcome = routes.handle(event, QUEUE_SENDER, ports)
    except ParcelOverLimit as err:
        # permanent for this parcel: retrying the same event can only fail again
        assert isinstance(event, Packed)  # only a packed event carries a parcel
        note_repack(event.shipment_id, str(err), orders=orders, clock=clock)
        logger.warning("packed event over the carrier's limits", event_id=event.event_id, reason=str(err))
        return "repack"
    except DomainError as err:
        logger.error("fulfilment event refused", message_id=record.message_id, event_id=event.event_id, reason=str(err))
        raise Undeliverable(str(err)) from err
    return outcome.outcome


record_handler = dead_letter_with_reason(apply_event, w.dead_letter_sink(EVENTS), EVENTS.max_receive_count, logger)


batch = PartialBatch(record_handler, "SQS")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config.register_lambda_context(context)
    if "Records" in event:
        return batch(event, context)
    return http.serve(app, w.function, event, context, ports=ports)

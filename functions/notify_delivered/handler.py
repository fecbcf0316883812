"""State-machine task: email the customer that a shipment was delivered, once however often retried."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.bootstrap import Wiring
from shared.exactly_once import sent_then_recorded
from shared.topology import DELIVERED
from shared.usecases.notify import mail_shipment_email, record_shipment_email

w = Wiring("notify_delivered")
logger = w.logger
orders, mailer, template, clock = w.orders(), w.mailer(), w.template(DELIVERED), w.clock
once, config = w.once_per("key")


# The idempotency key is this function's name and the task's key: keep both across deploys.
@once
def email(task: dict[str, Any]) -> dict[str, Any]:
    return {
        "message_id": mail_shipment_email(
            task["order_id"], task["shipment_id"], "delivered", orders=orders, mailer=mailer, template=template
        )
    }


delivered_email = sent_then_recorded(
    email,
    record=lambda task, sent: record_shipment_email(
        task["order_id"], task["shipment_id"], "delivered", sent, orders=orders, clock=clock
    ),
)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config.register_lambda_context(context)
    order_id, shipment_id = event["order_id"], event["shipment_id"]
    logger.append_keys(order_id=order_id, shipment_id=shipment_id)
    task = {"key": f"{shipment_id}#delivered", "order_id": order_id, "shipment_id": shipment_id}
    message_id = delivered_email(task)
    logger.info("delivery email sent", message_id=message_id)
    return {"message_id": message_id}

"""State-machine task: email the customer that a shipment was delivered, once however often retried."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.bootstrap import Wiring
from shared.topology import DELIVERED
from shared.usecases.notify import mail_shipment_email, record_shipment_email

w = Wiring("notify_delivered")
logger = w.logger
orders, mailer, template, clock = w.orders(), w.mailer(), w.template(DELIVERED), w.clock
once, config = w.once_per("key")


@once
def email(task: dict[str, Any]) -> dict[str, Any]:
    order_id, shipment_id = task["order_id"], task["shipment_id"]
    message_id = mail_shipment_email(
        order_id, shipment_id, "delivered", orders=orders, mailer=mailer, template=template
    )
    return {"message_id": message_id}


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config.register_lambda_context(context)
    order_id, shipment_id = event["order_id"], event["shipment_id"]
    logger.append_keys(order_id=order_id, shipment_id=shipment_id)
    task = {"key": f"{shipment_id}#delivered", "order_id": order_id, "shipment_id": shipment_id}
    sent: dict[str, Any] = email(task=task)
    # outside the idempotency record: a failed write here is retried without a second email
    message_id = record_shipment_email(
        order_id, shipment_id, "delivered", sent["message_id"], orders=orders, clock=clock
    )
    logger.info("delivery email sent", message_id=message_id)
    return {"message_id": message_id}

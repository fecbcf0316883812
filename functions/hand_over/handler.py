"""State-machine task (.waitForTaskToken): the parcel ships (or waits for pickup); stock is consumed
and the customer told once. Then it keeps the token the delivered (or collected) event answers, so the
task ends when the parcel arrives: hand-over and the wait for delivery are one state."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.bootstrap import Wiring
from shared.exactly_once import sent_then_recorded
from shared.topology import DELIVERED, FULFILMENT, READY_FOR_PICKUP, SHIPPED
from shared.usecases.delivered_email import delivered_notifier
from shared.usecases.delivery import await_delivery
from shared.usecases.hand_over import ship
from shared.usecases.notify import mail_shipment_email, record_shipment_email

w = Wiring("hand_over")
logger = w.logger
orders, inventory, mailer, payments, clock = w.orders(), w.inventory(), w.mailer(), w.payments(), w.clock
signals = w.signals(FULFILMENT)
templates = {"shipped": w.template(SHIPPED), "ready_for_pickup": w.template(READY_FOR_PICKUP)}
# One email per (shipment, kind) even when two attempts race: the second finds the record in progress.
once, config = w.once_per("key")


# The idempotency key is this function's name and the task's key: keep both across deploys.
@once
def email(task: dict[str, Any]) -> dict[str, Any]:
    return {
        "message_id": mail_shipment_email(
            task["order_id"],
            task["shipment_id"],
            task["kind"],
            orders=orders,
            mailer=mailer,
            template=templates[task["kind"]],
        )
    }


# the parcel may have arrived before this task kept its token: then this task owes the delivered email
notify_delivered = delivered_notifier(once, orders=orders, mailer=mailer, template=w.template(DELIVERED), clock=clock)

shipment_email = sent_then_recorded(
    email,
    record=lambda task, sent: record_shipment_email(
        task["order_id"], task["shipment_id"], task["kind"], sent, orders=orders, clock=clock
    ),
)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config.register_lambda_context(context)
    order_id, shipment_id = event["order_id"], event["shipment_id"]
    logger.append_keys(order_id=order_id, shipment_id=shipment_id)
    shipment, kind = ship(order_id, shipment_id, orders=orders, inventory=inventory, payments=payments(), clock=clock)
    message_id = shipment_email(
        {"key": f"{shipment_id}#{kind}", "order_id": order_id, "shipment_id": shipment_id, "kind": kind}
    )
    # Kept only after the email: until then no delivered event can end the task, so a failed send
    # fails this attempt and is retried rather than lost behind a task already answered. Likewise
    # a delivered email this task owes is sent before it answers its own token.
    delivered = await_delivery(
        order_id,
        shipment_id,
        event["task_token"],
        orders=orders,
        signals=signals,
        before_answer=lambda arrived: notify_delivered(order_id, arrived),
    )
    logger.info("shipment handed over", status=shipment.status.value, message_id=message_id, delivered=delivered)
    return {"status": shipment.status.value, "message_id": message_id, "already_delivered": delivered}

"""State-machine task: email the order confirmation once, however often the task is retried."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.bootstrap import Wiring
from shared.exactly_once import sent_then_recorded
from shared.topology import CONFIRMATION
from shared.usecases.send_confirmation import mail_confirmation, not_confirmed, record_confirmation

w = Wiring("send_confirmation")
logger = w.logger
orders, mailer, template, clock = w.orders(), w.mailer(), w.template(CONFIRMATION), w.clock
# Two concurrent attempts (a retry racing a slow first try) must not both send: the first holds
# an in-progress record keyed on the order, the second fails and is retried by the state machine.
once, config = w.once_per("order_id")


# The idempotency key is this function's name and the task's key: keep both across deploys.
@once
def confirm(task: dict[str, Any]) -> dict[str, Any]:
    return {"message_id": mail_confirmation(task["order_id"], orders=orders, mailer=mailer, template=template)}


confirmation = sent_then_recorded(
    confirm, record=lambda task, sent: record_confirmation(task["order_id"], sent, orders=orders, clock=clock)
)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config.register_lambda_context(context)
    logger.append_keys(order_id=event["order_id"])
    # an execution started before the step was given the outcome only got here once verified
    payment = event.get("payment", "verified")
    skipped = not_confirmed(event["order_id"], payment, orders=orders)
    if skipped is not None:
        logger.info("no confirmation", why=skipped, payment=payment)
        return {"order_id": event["order_id"], "message_id": None}
    message_id = confirmation({"order_id": event["order_id"]})
    logger.info("confirmation sent", message_id=message_id)
    return {"order_id": event["order_id"], "message_id": message_id}

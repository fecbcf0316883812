"""State-machine task: email the customer the refund, once however often the task is retried."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.bootstrap import Wiring
from shared.exactly_once import sent_then_recorded
from shared.topology import REFUND_ISSUED
from shared.usecases.refunds import mail_refund_email, record_refund_email

w = Wiring("refund_email")
logger = w.logger
orders, ledger, mailer, template, clock = w.orders(), w.ledger(), w.mailer(), w.template(REFUND_ISSUED), w.clock
once, config = w.once_per("refund_id")


# The idempotency key is this function's name and the task's key: keep both across deploys.
@once
def email(task: dict[str, Any]) -> dict[str, Any]:
    return {
        "message_id": mail_refund_email(
            task["order_id"], task["refund_id"], orders=orders, ledger=ledger, mailer=mailer, template=template
        )
    }


refund_email = sent_then_recorded(
    email,
    record=lambda task, sent: record_refund_email(
        task["order_id"], task["refund_id"], sent, orders=orders, clock=clock
    ),
)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config.register_lambda_context(context)
    logger.append_keys(order_id=event["order_id"], refund_id=event["refund_id"])
    message_id = refund_email({"order_id": event["order_id"], "refund_id": event["refund_id"]})
    logger.info("refund email sent", message_id=message_id)
    return {"message_id": message_id}

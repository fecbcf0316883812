"""State-machine task: buy the RMA's return label (once) from the carrier and email it to the customer (once)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.bootstrap import Wiring
from shared.exactly_once import sent_then_recorded
from shared.topology import RETURN_OPENED
from shared.usecases.notify import mail_return_email, record_order_email, return_email_kind
from shared.usecases.returns import buy_return_label, order_id_of_rma

w = Wiring("return_label")
logger = w.logger
# No simulated outages here: CARRIER_SANDBOX_FAILURE_RATE is buy_label's setting only.
orders, nodes, carrier, clock = w.orders(), w.nodes(), w.carrier(), w.clock
mailer, documents, template = w.mailer(), w.documents(), w.template(RETURN_OPENED)
once, config = w.once_per("key")


# The idempotency key is this function's name and the task's key: keep both across deploys.
@once
def email(task: dict[str, Any]) -> dict[str, Any]:
    return {
        "message_id": mail_return_email(
            task["order_id"], task["rma_id"], orders=orders, mailer=mailer, documents=documents, template=template
        )
    }


return_email = sent_then_recorded(
    email,
    record=lambda task, sent: record_order_email(
        task["order_id"], return_email_kind(task["rma_id"]), sent, orders=orders, clock=clock
    ),
)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config.register_lambda_context(context)
    rma_id = event["rma_id"]
    logger.append_keys(rma_id=rma_id)
    label = buy_return_label(rma_id, orders=orders, nodes=nodes, carrier=carrier, clock=clock)
    message_id = return_email({"key": f"{rma_id}#return_opened", "order_id": order_id_of_rma(rma_id), "rma_id": rma_id})
    logger.info("return label bought and sent", tracking_number=label.tracking_number, message_id=message_id)
    return {"tracking_number": label.tracking_number}

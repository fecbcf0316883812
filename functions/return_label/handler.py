"""State-machine task: buy the RMA's return label (once) from the carrier and email it to the customer (once)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.bootstrap import Wiring
from shared.topology import RETURN_OPENED
from shared.usecases.notify import send_return_email
from shared.usecases.returns import buy_return_label, order_id_of_rma

w = Wiring("return_label")
logger = w.logger
# No simulated outages here: CARRIER_SANDBOX_FAILURE_RATE is buy_label's setting only.
orders, nodes, carrier, clock = w.orders(), w.nodes(), w.carrier(), w.clock
mailer, documents, template = w.mailer(), w.documents(), w.template(RETURN_OPENED)
once, config = w.once_per("key")


@once
def email(task: dict[str, Any]) -> dict[str, Any]:
    message_id = send_return_email(
        task["order_id"],
        task["rma_id"],
        orders=orders,
        mailer=mailer,
        documents=documents,
        template=template,
        clock=clock,
    )
    return {"message_id": message_id}


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config.register_lambda_context(context)
    rma_id = event["rma_id"]
    logger.append_keys(rma_id=rma_id)
    label = buy_return_label(rma_id, orders=orders, nodes=nodes, carrier=carrier, clock=clock)
    sent = email(task={"key": f"{rma_id}#return_opened", "order_id": order_id_of_rma(rma_id), "rma_id": rma_id})
    logger.info("return label bought and sent", tracking_number=label.tracking_number, message_id=sent["message_id"])
    return {"tracking_number": label.tracking_number}

"""State-machine task (.waitForTaskToken): keep the token the delivered or collected event answers."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.bootstrap import Wiring
from shared.topology import FULFILMENT
from shared.usecases.delivery import await_delivery

w = Wiring("await_delivery")
logger = w.logger
orders, signals = w.orders(), w.signals(FULFILMENT)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(order_id=event["order_id"], shipment_id=event["shipment_id"])
    answered = await_delivery(
        event["order_id"], event["shipment_id"], event["task_token"], orders=orders, signals=signals
    )
    logger.info("waiting for delivery", already_delivered=answered)
    return {"already_delivered": answered}

"""State-machine task (.waitForTaskToken): send a node its fulfilment request; the node's events answer."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.bootstrap import Wiring
from shared.topology import FULFILMENT
from shared.usecases.release import request_fulfilment

w = Wiring("request_fulfilment")
logger = w.logger
orders, requests, documents, clock = w.orders(), w.fulfilment_requests(), w.documents(), w.clock
signals = w.signals(FULFILMENT)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(order_id=event["order_id"], shipment_id=event["shipment_id"])
    done = request_fulfilment(
        event["order_id"],
        event["shipment_id"],
        event["task_token"],
        orders=orders,
        requests=requests,
        documents=documents,
        signals=signals,
        clock=clock,
    )
    logger.info("fulfilment requested", outcome=done)
    return {"outcome": done}

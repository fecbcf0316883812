"""State-machine task: buy the packed shipment's label (retried by the state machine on carrier outage)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.bootstrap import Rate, Wiring
from shared.usecases.labels import buy_label

w = Wiring("buy_label")
logger = w.logger
orders, nodes, clock = w.orders(), w.nodes(), w.clock
carrier = w.carrier(failure_rate=w.setting("CARRIER_SANDBOX_FAILURE_RATE", Rate))


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(order_id=event["order_id"], shipment_id=event["shipment_id"])
    label = buy_label(event["order_id"], event["shipment_id"], orders=orders, nodes=nodes, carrier=carrier, clock=clock)
    logger.info("label bought", carrier=label.carrier, service=label.service, tracking_number=label.tracking_number)
    return {"tracking_number": label.tracking_number, "service": label.service, "amount": label.amount}

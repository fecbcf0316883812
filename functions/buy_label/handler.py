"""State-machine task: buy the packed shipment's label (retried by the state machine on carrier outage)
and send it to the node, once."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.bootstrap import Rate, Wiring
from shared.usecases.labels import buy_label, send_label

w = Wiring("buy_label")
logger = w.logger
orders, nodes, requests, clock = w.orders(), w.nodes(), w.fulfilment_requests(), w.clock
carrier = w.carrier(failure_rate=w.setting("CARRIER_SANDBOX_FAILURE_RATE", Rate))
once, config = w.once_per("key")


@once
def tell_node(task: dict[str, Any]) -> dict[str, Any]:
    send_label(task["order_id"], task["shipment_id"], orders=orders, requests=requests, clock=clock)
    return {"sent": True}


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config.register_lambda_context(context)
    order_id, shipment_id = event["order_id"], event["shipment_id"]
    logger.append_keys(order_id=order_id, shipment_id=shipment_id)
    label = buy_label(order_id, shipment_id, orders=orders, nodes=nodes, carrier=carrier, clock=clock)
    if label is None:
        logger.info("pickup shipment: no label")
        return {"tracking_number": None, "service": None, "amount": None}
    tell_node(task={"key": f"{shipment_id}#label_ready", "order_id": order_id, "shipment_id": shipment_id})
    logger.info("label bought", carrier=label.carrier, service=label.service, tracking_number=label.tracking_number)
    return {"tracking_number": label.tracking_number, "service": label.service, "amount": label.amount}

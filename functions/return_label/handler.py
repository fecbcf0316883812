"""State-machine task: buy the RMA's return label (once) from the carrier."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.bootstrap import Wiring
from shared.usecases.returns import buy_return_label

w = Wiring("return_label")
logger = w.logger
# No simulated outages here: CARRIER_SANDBOX_FAILURE_RATE is buy_label's setting only.
orders, nodes, carrier, clock = w.orders(), w.nodes(), w.carrier(), w.clock


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(rma_id=event["rma_id"])
    label = buy_return_label(event["rma_id"], orders=orders, nodes=nodes, carrier=carrier, clock=clock)
    logger.info("return label bought", tracking_number=label.tracking_number)
    return {"tracking_number": label.tracking_number}

"""State-machine task: restock the resellable units of a received return and open its refund."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.bootstrap import Wiring
from shared.topology import REFUNDS
from shared.usecases.returns import restock_and_refund

w = Wiring("restock_return")
logger = w.logger
orders, inventory, ledger, refunds, clock = w.orders(), w.inventory(), w.ledger(), w.workflow(REFUNDS), w.clock


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(rma_id=event["rma_id"])
    refund_id = restock_and_refund(
        event["rma_id"], orders=orders, inventory=inventory, ledger=ledger, refunds=refunds, clock=clock
    )
    logger.info("return restocked and refunded", refund_id=refund_id)
    return {"refund_id": refund_id}

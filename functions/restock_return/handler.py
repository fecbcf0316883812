"""State-machine task: restock the resellable units of each receipt of a return and open its refund
(`close`: the return window ended, the RMA is closed after that)."""

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
    outcome = restock_and_refund(
        event["rma_id"],
        orders=orders,
        inventory=inventory,
        ledger=ledger,
        refunds=refunds,
        clock=clock,
        close=bool(event.get("close")),
    )
    logger.info("return restocked and refunded", refund_ids=outcome.refund_ids, outstanding=outcome.outstanding)
    # the state machine waits again while units are still out
    return {
        "refund_id": outcome.refund_ids[-1] if outcome.refund_ids else None,
        "outstanding": outcome.outstanding,
        "status": outcome.status,
    }

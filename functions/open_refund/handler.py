"""State-machine task: open the ledger entry a cancellation owes (PENDING), once."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.bootstrap import Wiring
from shared.usecases.refunds import open_cancellation_refund

w = Wiring("open_refund")
logger = w.logger
orders, ledger, payments, clock = w.orders(), w.ledger(), w.payments(), w.clock


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(order_id=event["order_id"])
    entry = open_cancellation_refund(event["order_id"], orders=orders, payments=payments(), ledger=ledger, clock=clock)
    logger.info("cancellation refund opened", refund_id=entry.refund_id if entry else None)
    # the state machine pays it; None: nothing was captured, nothing is owed
    # order_id too: the answer becomes the execution's state
    return {"order_id": event["order_id"], "refund_id": entry.refund_id if entry else None, "owed": entry is not None}

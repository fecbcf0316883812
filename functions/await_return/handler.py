"""State-machine task (.waitForTaskToken): keep the token the warehouse's return_received answers."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.bootstrap import Wiring
from shared.topology import RETURNS
from shared.usecases.returns import await_return

w = Wiring("await_return")
logger = w.logger
orders, signals = w.orders(), w.signals(RETURNS)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(rma_id=event["rma_id"])
    answered = await_return(event["rma_id"], event["task_token"], orders=orders, signals=signals)
    logger.info("waiting for the return", already_received=answered)
    return {"already_received": answered}

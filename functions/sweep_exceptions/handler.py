"""Scheduled (every 15 minutes): orders that stopped moving become stuck exceptions; the oldest
wait in the exception queue is measured (the OldestExceptionAge metric its alarm watches)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import metrics
from shared.adapters.dynamodb_exception_queue import DynamoDBExceptionIndex
from shared.adapters.dynamodb_status_index import DynamoDBStatusIndex
from shared.bootstrap import Wiring
from shared.topology import ORDERS
from shared.usecases.sweep_exceptions import sweep_exceptions

w = Wiring("sweep_exceptions")
logger = w.logger
orders, clock = w.orders(), w.clock
statuses = DynamoDBStatusIndex(w.client("dynamodb"), w.table(ORDERS))
queue = DynamoDBExceptionIndex(w.client("dynamodb"), w.table(ORDERS))


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = sweep_exceptions(statuses=statuses, queue=queue, orders=orders, clock=clock)
    for _ in result.stuck:
        metrics.exception_recorded("stuck")
    metrics.oldest_exception_age(result.oldest_age_s)
    if result.stuck:
        logger.warning("orders without progress", count=len(result.stuck), order_ids=list(result.stuck))
    return {"stuck": list(result.stuck), "oldest_age_s": result.oldest_age_s}

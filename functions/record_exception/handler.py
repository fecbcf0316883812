"""State-machine compensation: record the failed step's cause on the order (status EXCEPTION)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.bootstrap import Wiring
from shared.usecases.record_exception import describe, record_exception
from shared.usecases.reserve_order import release_reservations

w = Wiring("record_exception")
logger = w.logger
orders, inventory, clock = w.orders(), w.inventory(), w.clock


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    cause = describe(event.get("error") or {})
    logger.append_keys(order_id=event["order_id"])
    # Compensation first: whatever the failed flow had reserved goes back on the shelf.
    released = release_reservations(event["order_id"], inventory=inventory)
    status = record_exception(event["order_id"], cause, orders=orders, clock=clock)
    logger.warning("order moved to exception", cause=cause, reservations_released=released)
    return {"status": status, "reservations_released": released}

"""State-machine compensation: record the failed step's cause on the order (status EXCEPTION)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.bootstrap import Wiring
from shared.usecases.record_exception import compensate, describe

w = Wiring("record_exception")
logger = w.logger
orders, inventory, clock = w.orders(), w.inventory(), w.clock


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    cause = describe(event.get("error") or {})
    logger.append_keys(order_id=event["order_id"])
    status, released = compensate(event["order_id"], cause, orders=orders, inventory=inventory, clock=clock)
    logger.warning("order moved to exception", cause=cause, reservations_released=released)
    return {"status": status, "reservations_released": released}

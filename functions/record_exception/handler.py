"""State-machine compensation: record the failed step's cause on the order as a typed exception.

The fulfilment machine's failures put the order in EXCEPTION (its nodes told to stop, then its
stock settled: released, or consumed for a parcel that left meanwhile); the returns machine's
(an `rma_id` in the input) leave a return_failed exception."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.bootstrap import Wiring
from shared.topology import FULFILMENT, PREPARATION
from shared.usecases.record_exception import describe, failed_shipment, record_exception, stop_other_fulfilments
from shared.usecases.returns import record_return_failure

w = Wiring("record_exception")
logger = w.logger
orders, inventory, requests, clock = w.orders(), w.inventory(), w.fulfilment_requests(), w.clock
stopper = w.stopper(FULFILMENT)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    error = event.get("error") or {}
    cause = describe(error)
    if "rma_id" in event:
        logger.append_keys(rma_id=event["rma_id"])
        record_return_failure(event["rma_id"], cause, orders=orders, clock=clock)
        logger.warning("return step failed", cause=cause)
        return {"status": "return_failed"}
    logger.append_keys(order_id=event["order_id"])
    # a shipment's fulfilment names its shipment (and itself); a preparation step names neither; an
    # execution of the earlier order-level machine (still running across a deploy) named it in its cause
    shipment_id = event.get("shipment_id") or failed_shipment(error)
    if event.get("shipment_id"):
        cause = f"{cause} (shipment {shipment_id})"[:1000]
    done = record_exception(
        event["order_id"],
        cause,
        orders=orders,
        inventory=inventory,
        requests=requests,
        clock=clock,
        shipment_id=shipment_id,
        run=event.get("run"),
        run_machine=PREPARATION.name,
    )
    stopped = 0
    if event.get("execution") and done.status == "EXCEPTION":  # a shipment's failure failed the order
        stopped = stop_other_fulfilments(
            event["order_id"], event["execution"], cause, orders=orders, stopper=stopper, machine=FULFILMENT.name
        )
    logger.warning(
        "order moved to exception",
        cause=cause,
        reservations_released=done.released,
        reservations_consumed=done.consumed,
        fulfilments_stopped=stopped,
    )
    return {"status": done.status, "reservations_released": done.released}

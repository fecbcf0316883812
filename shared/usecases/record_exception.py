"""Fulfilment compensation: a step failed for good, so the order goes to EXCEPTION with a typed cause.

Shipments still at their nodes are closed and each node is told to stop (`fulfilment_cancelled`).
Stock is settled after the order is recorded, from what the order then says: a closed shipment's
units go back, a parcel that was handed over meanwhile has its units consumed. (Releasing first
raced a hand-over in flight: the parcel left with its units released, so on hand stayed too high.)
A pickup order the customer never came for is an exception that can be cancelled (units back on
the shelf, refund).
"""

from __future__ import annotations

import json
import re
from typing import Any, Protocol

from shared import metrics
from shared.domain.exceptions import ExceptionType, classify_failure
from shared.domain.order import Order, OrderStatus
from shared.domain.shipment import Shipment, ShipmentStatus
from shared.ports import Clock, FulfilmentRequests, HeldReservations, OrderRepository
from shared.records import record
from shared.usecases._update import update_order
from shared.usecases.cancel_order import cancel_request

_ERROR_NAME = re.compile(r"[\w.]+")
_ALL_GONE = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.RETURN_REQUESTED, OrderStatus.RETURNED})
# what a run's preparation may fail: an order it has not released yet
_BEFORE_RELEASE = frozenset({OrderStatus.RECEIVED, OrderStatus.ON_HOLD, OrderStatus.RESERVED, OrderStatus.BACKORDERED})


@record
class Compensated:
    status: str
    released: int  # reservations given back
    consumed: int  # reservations of parcels that had left meanwhile


def record_exception(
    order_id: str,
    cause: str,
    *,
    orders: OrderRepository,
    inventory: HeldReservations,
    requests: FulfilmentRequests,
    clock: Clock,
    shipment_id: str | None = None,
    run: str | None = None,
    run_machine: str | None = None,
) -> Compensated:
    """`run`: the preparation that failed, if a preparation did (`run_machine` names its machine)."""

    def fail(order: Order) -> tuple[str, list[Shipment]]:
        if order.status in (OrderStatus.EXCEPTION, OrderStatus.CANCELLED):
            # retried compensation, or a flow that failed because its order was cancelled meanwhile
            return order.status.value, []
        if run is not None and order.latest_run(run_machine) not in (run, None):
            # an earlier run's, failing while a later one has the order: that run goes on with it
            order.note_superseded_run(cause, clock.now())
            return order.status.value, []
        if run is not None and order.status not in _BEFORE_RELEASE:
            # the order's own run (or a duplicate start of it) failing once it was released: its
            # fulfilments may not all have started, so ops see it at once
            order.note_problem(cause, clock.now(), None)
            return order.status.value, []
        failed = next((s for s in order.shipments if s.shipment_id == shipment_id), None)
        if failed is not None and failed.status == ShipmentStatus.READY_FOR_PICKUP:
            # the pickup window ended: the goods are still at the store and can be cancelled
            why = f"{failed.shipment_id} was not collected at {failed.node_id} within the pickup window"
            closed = order.fail(why, clock.now(), ExceptionType.PICKUP_NOT_COLLECTED, failed.shipment_id)
            return order.status.value, closed
        if order.status in _ALL_GONE:
            # everything already left (a delivery email or a late carrier failed): the goods are
            # with the customer or the carrier, so the order keeps its status and ops see the cause
            order.note_problem(cause, clock.now(), shipment_id)
            return order.status.value, []
        closed = order.fail(cause, clock.now(), classify_failure(cause), shipment_id)
        return order.status.value, closed

    status, closed = update_order(orders, order_id, fail)
    order = orders.get(order_id)
    released = consumed = 0
    if order is not None:
        # sent after the save; a retried compensation finds nothing newly closed and sends nothing
        for s in closed:
            requests.send(s.node_id, cancel_request(order, s.shipment_id, s.node_id, f"order failed: {cause}", clock))
        released, consumed = settle_reservations(order, inventory)
    metrics.exception_recorded(exception_type(cause))
    return Compensated(status, released, consumed)


def settle_reservations(order: Order, inventory: HeldReservations) -> tuple[int, int]:
    """Each reservation still held, settled by what the order says of its node: consumed when a
    parcel from it was handed over (the hand-over's own consume may not have run yet), kept while a
    shipment there is still live, released otherwise. Harmless to repeat. Returns (released, consumed)."""
    released = consumed = 0
    for reservation in inventory.reservations(order.order_id):
        if reservation.status != "reserved":
            continue
        at_node = [s for s in order.shipments if s.node_id == reservation.node_id]
        if any(s.handed_over for s in at_node):
            consumed += inventory.consume(reservation)
        elif not any(s.active for s in at_node):
            released += inventory.release(reservation)
    return released, consumed


def _parse(error: dict[str, Any]) -> tuple[str, Any]:
    name = str(error.get("Error", "Error"))
    cause = error.get("Cause", "")
    try:
        parsed = json.loads(cause)
    except (TypeError, ValueError):
        parsed = None
    return name, parsed


def failed_shipment(error: dict[str, Any]) -> str | None:
    """The shipment a ShipmentFailed names, if the failure came from one."""
    name, parsed = _parse(error)
    if name == "ShipmentFailed" and isinstance(parsed, dict):
        shipment_id = parsed.get("shipment_id")
        return str(shipment_id) if shipment_id else None
    return None


def exception_type(cause: str) -> str:
    """The error name that starts a described cause ("CarrierUnavailable: ..." -> "CarrierUnavailable"):
    a short, bounded value to count exceptions by."""
    found = _ERROR_NAME.match(cause)
    return found.group(0)[:100] if found else "Error"


def describe(error: dict[str, Any]) -> str:
    """Step Functions' Catch output {"Error", "Cause"} as one readable line.

    A shipment's failure arrives as ShipmentFailed whose cause holds the shipment id and the
    original {"Error", "Cause"}: it is told as "<shipment>: <original error>: <message>".
    """
    name, parsed = _parse(error)
    cause = error.get("Cause", "")
    if isinstance(parsed, dict) and name == "ShipmentFailed" and "failure" in parsed:
        inner = json.loads(parsed["failure"]) if isinstance(parsed["failure"], str) else parsed["failure"]
        return f"{describe(inner)} (shipment {parsed.get('shipment_id')})"[:1000]
    if isinstance(parsed, dict):
        cause = parsed.get("errorMessage", cause)
    return (f"{name}: {cause}" if cause else name)[:1000]


class ExecutionStopper(Protocol):
    def stop(self, execution_arn: str, cause: str) -> bool:
        """Stops a running execution; False when it had already ended."""


def stop_other_fulfilments(
    order_id: str, failed: str | None, cause: str, *, orders: OrderRepository, stopper: ExecutionStopper, machine: str
) -> int:
    """One shipment's failure fails the order: the fulfilments of its other shipments, waiting on
    their nodes, are stopped (their stock is settled above, their nodes told to stop). `failed`:
    the failing execution, which is running this compensation and ends by itself. Returns how many."""
    order = orders.get(order_id)
    if order is None:
        return 0
    others = [e.arn for e in order.executions if e.state_machine == machine and e.arn != failed]
    return sum(stopper.stop(arn, f"order failed: {cause}") for arn in others)

"""Fulfilment compensation: a step failed for good, so the order goes to EXCEPTION with the cause."""

from __future__ import annotations

import json
import re
from typing import Any

from shared.domain.order import Order, OrderStatus
from shared.ports import Clock, OrderRepository
from shared.usecases._update import update_order

_ERROR_NAME = re.compile(r"[\w.]+")
_ALL_GONE = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.RETURN_REQUESTED, OrderStatus.RETURNED})


def record_exception(order_id: str, cause: str, *, orders: OrderRepository, clock: Clock) -> str:
    def fail(order: Order) -> str:
        if order.status in (OrderStatus.EXCEPTION, OrderStatus.CANCELLED):
            # retried compensation, or a flow that failed because its order was cancelled meanwhile
            return order.status.value
        if order.status in _ALL_GONE:
            # everything already left (a delivery email or a late carrier failed): the goods are
            # with the customer or the carrier, so the order keeps its status and ops see the cause
            order.note_problem(cause, clock.now())
            return order.status.value
        order.fail(cause, clock.now())
        return order.status.value

    return update_order(orders, order_id, fail)


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
    name = str(error.get("Error", "Error"))
    cause = error.get("Cause", "")
    try:
        parsed = json.loads(cause)
    except (TypeError, ValueError):
        parsed = None
    if isinstance(parsed, dict) and name == "ShipmentFailed" and "failure" in parsed:
        inner = json.loads(parsed["failure"]) if isinstance(parsed["failure"], str) else parsed["failure"]
        return f"{describe(inner)} (shipment {parsed.get('shipment_id')})"[:1000]
    if isinstance(parsed, dict):
        cause = parsed.get("errorMessage", cause)
    return (f"{name}: {cause}" if cause else name)[:1000]

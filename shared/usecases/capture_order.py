"""Capture an order from a channel: store it once, start its fulfilment, answer replays the same way."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from shared import metrics
from shared.domain import order as order_model
from shared.domain.errors import ConcurrentUpdate, IdempotencyConflict
from shared.domain.order import Execution, Order, OrderStatus
from shared.domain.values import Address
from shared.ports import Clock, DuplicateCapture, OrderRepository, Workflow
from shared.records import record
from shared.schemas.capture import CaptureOrder


@record
class CaptureResult:
    order: Order
    replayed: bool


def body_hash(request: CaptureOrder) -> str:
    canonical = json.dumps(request.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def capture_order(
    request: CaptureOrder,
    channel: str,
    *,
    orders: OrderRepository,
    workflow: Workflow,
    clock: Clock,
    new_order_id: Callable[[], str],
    state_machine: str,
) -> CaptureResult:
    digest = body_hash(request)
    record = orders.find_capture(channel, request.external_id)
    for attempt in range(3):
        if record is not None:
            break
        order = _new_order(request, channel, new_order_id(), clock)
        order.start_execution(Execution(workflow.execution_arn(order.order_id), state_machine, clock.now()))
        try:
            orders.add(order, digest)
        except DuplicateCapture as lost_race:
            record = lost_race.record
        except ConcurrentUpdate:  # a conflicting transaction in flight: look again, then retry
            if attempt == 2:
                raise
            record = orders.find_capture(channel, request.external_id)
        else:
            workflow.start(order.order_id, {"order_id": order.order_id})
            metrics.order_captured(channel)
            return CaptureResult(order, replayed=False)
    assert record is not None
    if record.body_hash != digest:
        raise IdempotencyConflict(request.external_id)
    # The first caller may have died between storing and starting: start it then. Starting an
    # order that moved on would run its preparation (Express: not deduplicated by name) again, or
    # an earlier run's beside a later one (a release from hold puts the order back to RECEIVED).
    current = orders.get(record.order_id)
    if current is not None and current.status == OrderStatus.RECEIVED and len(current.executions) == 1:
        workflow.start(record.order_id, {"order_id": record.order_id})
    return CaptureResult(record.snapshot, replayed=True)


def _new_order(request: CaptureOrder, channel: str, order_id: str, clock: Clock) -> Order:
    return order_model.place(
        order_id=order_id,
        channel=channel,
        external_id=request.external_id,
        currency=request.currency,
        customer=order_model.Customer(request.customer.email, request.customer.name, request.customer.phone),
        ship_to=Address(**request.ship_to.model_dump()) if request.ship_to else None,
        lines=[(line.sku, line.quantity, line.unit_amount, line.name, line.image_url) for line in request.lines],
        shipping_amount=request.shipping_amount,
        tax_amount=request.tax_amount,
        payment_intent=request.payment.stripe_payment_intent,
        delivery=order_model.Delivery(
            request.delivery.method, request.delivery.service_level, request.delivery.pickup_node
        ),
        at=clock.now(),
    )

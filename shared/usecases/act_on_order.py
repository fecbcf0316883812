"""POST /v1/orders/{id}/actions: one entry point for the four actions, each to the use case that does it.

`retry` retries what failed: a fulfilment (from where it stopped), else a preparation that died
before the release (a new run), else a return step, else a refund. `cancel` is the cancellation
channels and ops already make, recorded with its principal.
"""

from __future__ import annotations

from shared.domain.errors import OrderNotFound
from shared.domain.exceptions import Action, ExceptionType
from shared.domain.order import Order
from shared.ports import OrderRepository
from shared.usecases.action_ports import ActionPorts
from shared.usecases.cancel_order import cancel_order
from shared.usecases.ops_actions import (
    ActionOutcome,
    ActionRequest,
    remember_key,
    replayed,
    retry_target,
    run_flow_action,
)
from shared.usecases.ops_retries import failed_refund_of, retry_refund, retry_return


def act_on_order(order_id: str, request: ActionRequest, ports: ActionPorts) -> ActionOutcome:
    order = _get(ports.orders, order_id)
    if request.action in (Action.RELEASE_HOLD, Action.REROUTE):
        return run_flow_action(order_id, request, ports.flow)
    if request.action == Action.CANCEL:
        return _cancel(order, request, ports)
    again = replayed(order, request)
    if again is not None:
        return (
            run_flow_action(order_id, request, ports.flow)
            if again and "-retry-" not in again
            else ActionOutcome(order, True, again or None)
        )
    kind = retry_target(order)
    if kind in (ExceptionType.FULFILMENT_FAILED, ExceptionType.CARRIER_REFUSED, ExceptionType.STUCK):
        return run_flow_action(order_id, request, ports.flow)
    if kind == ExceptionType.RETURN_FAILED:
        after = retry_return(order_id, request, orders=ports.orders, returns=ports.returns_workflow, clock=ports.clock)
        return ActionOutcome(after, False, after.executions[-1].arn.rpartition(":")[2])
    retry_refund(
        failed_refund_of(order),
        request,
        orders=ports.orders,
        ledger=ports.ledger,
        refunds=ports.refunds_workflow,
        clock=ports.clock,
    )
    return ActionOutcome(_get(ports.orders, order_id), False)


def _cancel(order: Order, request: ActionRequest, ports: ActionPorts) -> ActionOutcome:
    if replayed(order, request) is not None:
        return ActionOutcome(order, True)
    cancel_order(
        order.order_id,
        request.reason,
        str(request.actor),
        orders=ports.orders,
        inventory=ports.inventory,
        workflow=ports.workflow,
        refunds_workflow=ports.refunds_workflow,
        signals=ports.signals,
        requests=ports.requests,
        ledger=ports.ledger,
        clock=ports.clock,
        actor=request.actor,
    )
    remember_key(ports.orders, order.order_id, request)
    return ActionOutcome(_get(ports.orders, order.order_id), False)


def _get(orders: OrderRepository, order_id: str) -> Order:
    order = orders.get(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    return order

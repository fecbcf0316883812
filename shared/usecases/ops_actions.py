"""What a person does about an order that needs one: release a hold, retry, re-route, cancel.

Each action is refused (ActionRefused, 409) when it does not apply to the order as it is, and is
recorded in the order's history with who asked and why. The order changes first, in one save with
the execution it starts recorded on it; the execution is started after, under a name fixed by
that save, so an action replayed under its Idempotency-Key starts nothing new (starting again is
a no-op) and a crash between the two is finished by the replay.
"""

from __future__ import annotations

import hashlib

from shared.domain.audit import Actor
from shared.domain.errors import OrderNotFound
from shared.domain.exceptions import Action, ActionRefused, ExceptionType
from shared.domain.ops import retry_kind
from shared.domain.order import PREPARING, Execution, Order, OrderStatus
from shared.ports import Clock, FulfilmentRequests, OrderRepository, TaskSignals, Workflow
from shared.records import record
from shared.usecases._update import update_order
from shared.usecases.cancel_order import cancel_request
from shared.usecases.signals import answer_request

RUN_MACHINE = "preparation"  # each run of an order starts with its preparation


@record
class ActionRequest:
    action: Action
    reason: str
    actor: Actor
    node_id: str | None = None
    # release_hold: the person vouches for the payment instead of having it checked again
    override: bool = False
    # the client's Idempotency-Key: the same key again answers the first outcome
    key: str | None = None

    def digest(self) -> str:
        body = f"{self.action}\x1f{self.reason}\x1f{self.node_id}\x1f{self.override}"
        return hashlib.sha256(body.encode()).hexdigest()[:16]


class ActionKeyConflict(ActionRefused):
    def __init__(self, key: str) -> None:
        super().__init__("idempotency_conflict", f"Idempotency-Key {key!r} was already used for a different action")


@record
class ActionOutcome:
    order: Order
    replayed: bool
    # the execution the action started (release_hold, retry, reroute of a failed order), if any
    execution: str | None = None


@record
class FlowPorts:
    """What the fulfilment-side actions reach: the order, its flow, its nodes."""

    orders: OrderRepository
    workflow: Workflow
    signals: TaskSignals
    requests: FulfilmentRequests
    clock: Clock


def replayed(order: Order, request: ActionRequest) -> str | None:
    """The execution recorded when this key was first used ("" for none); None: the key is new."""
    if request.key is None or request.key not in order.action_keys:
        return None
    digest, _, execution = order.action_keys[request.key].partition("|")
    if digest != request.digest():
        raise ActionKeyConflict(request.key)
    return execution


def run_flow_action(order_id: str, request: ActionRequest, ports: FlowPorts) -> ActionOutcome:
    """release_hold, retry of a failed fulfilment or a stuck preparation, and reroute."""
    order = ports.orders.get(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    again = replayed(order, request)
    if again is not None:
        if again:
            ports.workflow.start(again, {"order_id": order_id})  # finishes a start a crash interrupted
        return ActionOutcome(order, True, again or None)

    def act(o: Order) -> tuple[str | None, list[str]]:
        at = ports.clock.now()
        taken: list[str] = []
        restart = True
        if request.action == Action.RELEASE_HOLD:
            o.release_hold(request.reason, at, request.actor, override=request.override)
        elif request.action == Action.RETRY and o.status in PREPARING:
            o.retry_stuck(request.reason, at, request.actor)
        elif request.action == Action.RETRY:
            o.retry_fulfilment(request.reason, at, request.actor)
        elif o.status == OrderStatus.EXCEPTION:  # reroute a failed order: a retry that uses the named node
            o.retry_fulfilment(request.reason, at, request.actor, node_id=request.node_id)
        else:  # reroute a live order: its running flow re-routes what the node gave up
            taken = [
                s.shipment_id for s in o.reject_for_reroute(request.reason, at, request.actor, node_id=request.node_id)
            ]
            restart = False
        name = None
        if restart:
            name = f"{o.order_id}-{request.action.value}-{len(o.executions) + 1}"
            o.start_execution(Execution(ports.workflow.execution_arn(name), RUN_MACHINE, at))
        if request.key is not None:
            o.action_keys[request.key] = f"{request.digest()}|{name or ''}"
        return name, taken

    name, taken = update_order(ports.orders, order_id, act)
    after = ports.orders.get(order_id)
    assert after is not None
    if name is not None:
        ports.workflow.start(name, {"order_id": order_id})
    for shipment_id in taken:
        shipment = after.shipment(shipment_id)
        # the node stops, and the flow waiting on it hears "rejected": it routes the lines elsewhere
        ports.requests.send(
            shipment.node_id,
            cancel_request(after, shipment_id, shipment.node_id, f"re-routed: {request.reason}", ports.clock),
        )
        answer_request(shipment, ports.signals)
    return ActionOutcome(after, False, name)


def remember_key(orders: OrderRepository, order_id: str, request: ActionRequest) -> None:
    """Records the key of an action done by another use case (cancel, a retried refund or return)."""
    if request.key is None:
        return

    def keep(o: Order) -> None:
        o.action_keys.setdefault(request.key or "", f"{request.digest()}|")

    update_order(orders, order_id, keep)


def retry_target(order: Order) -> ExceptionType:
    """What `retry` retries on the order; ActionRefused when nothing failed that a retry could finish."""
    kind = retry_kind(order)
    if kind is None:
        raise ActionRefused(
            "nothing_to_retry", f"order {order.order_id} is {order.status} with nothing failed to retry"
        )
    return kind

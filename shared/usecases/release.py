"""Fulfilment: release a reserved order to its nodes, one shipment per node, start each shipment's
fulfilment execution, and ask each node to fulfil it.

Each shipment's execution waits on a task token. The token is stored on the shipment before
the request leaves, so whatever the warehouse answers, by queue or API, finds the token to answer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from shared.documents.slips import shipment_slips_html
from shared.domain.errors import IllegalTransition
from shared.domain.order import Execution, Order, OrderStatus
from shared.domain.shipment import Shipment, ShipmentStatus
from shared.links import shipment_links
from shared.ports import (
    PRESIGN_MAX_S,
    Clock,
    DocumentStore,
    FulfilmentRequests,
    OrderRepository,
    TaskSignals,
    Workflow,
)
from shared.usecases._update import update_order
from shared.usecases.signals import answer_request


def release_order(
    order_id: str,
    *,
    orders: OrderRepository,
    clock: Clock,
    record: Callable[[Order, list[Shipment]], None] | None = None,
) -> list[Shipment]:
    """RESERVED -> RELEASED with its shipments; a retried step gets the same shipments back. An
    order retried after a failure is RESERVED again beside its earlier shipments: it is released.
    An order cancelled before its release has none. `record` notes more on the order in the same save."""

    def release(order: Order) -> list[Shipment]:
        if order.status == OrderStatus.CANCELLED and not order.shipments:
            # cancelled between routing and release (the cancel gave its stock back): the flow ends
            # with nothing to fulfil, not as a failed execution that alarms for an ordinary cancel
            return []
        if order.shipments and order.status != OrderStatus.RESERVED:
            shipments = order.shipments
        elif order.status != OrderStatus.RESERVED:
            raise IllegalTransition(order.status, OrderStatus.RELEASED)
        else:
            shipments = order.release(clock.now())
        if record is not None:
            record(order, shipments)
        return shipments

    return update_order(orders, order_id, release)


def to_fulfil(shipments: list[Shipment]) -> list[Shipment]:
    """The shipments a run fulfils: not those handed over before a retry, nor re-routes (the
    fulfilment of the shipment they replace runs them)."""
    return [s for s in shipments if s.active and s.replaces is None and not s.handed_over]


def fulfilment_name(run: str, order_id: str, shipment_id: str) -> str:
    """A shipment's fulfilment execution, named after the run and the shipment: `ord_1-S1` for the
    order's first run, `ord_1-retry-3-S2` for a later one (each name is used once)."""
    return f"{run}-{shipment_id.removeprefix(order_id + '-')}"


def release_and_fulfil(
    order_id: str,
    run: str,
    limits: dict[str, Any],
    *,
    orders: OrderRepository,
    workflow: Workflow,
    clock: Clock,
    state_machine: str,
    run_machine: str,
) -> list[Shipment]:
    """Releases the order and starts one fulfilment execution per shipment to fulfil: each is
    recorded on the order in the release's save, then started; starting a recorded one again (a
    replayed step) is a no-op, so each shipment has one fulfilment per run. Only the order's latest
    run starts any: an earlier run's preparation started again (Express starts are at least once,
    a capture replayed) finds the order released and starts nothing. `limits`: the waits its tasks
    may take (heartbeat_s, timeout_s, delivery_timeout_s, pickup_timeout_s)."""
    current = True

    def record(order: Order, shipments: list[Shipment]) -> None:
        nonlocal current
        current = order.latest_run(run_machine) in (run, None)
        if not current:
            return
        known = {e.arn for e in order.executions}
        for s in to_fulfil(shipments):
            arn = workflow.execution_arn(fulfilment_name(run, order_id, s.shipment_id))
            if arn not in known:
                order.start_execution(Execution(arn, state_machine, clock.now()))

    fulfil = to_fulfil(release_order(order_id, orders=orders, clock=clock, record=record))
    if not current:
        return []
    for s in fulfil:
        workflow.start(fulfilment_name(run, order_id, s.shipment_id), _payload(order_id, s, limits))
    return fulfil


def _payload(order_id: str, s: Shipment, limits: dict[str, Any]) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "shipment": {"shipment_id": s.shipment_id, "node_id": s.node_id, "method": s.method},
        "heartbeat_s": limits["heartbeat_s"],
        "timeout_s": limits["timeout_s"],
        # a pickup order waits at the store for its pickup window, a parcel for the carrier
        "delivery_timeout_s": limits["pickup_timeout_s"] if s.method == "pickup" else limits["delivery_timeout_s"],
    }


def document_keys(order_id: str, shipment_id: str) -> dict[str, str]:
    """Both documents of a shipment are one object (shared/documents/slips.py): one PUT, not two."""
    key = f"slips/{order_id}/{shipment_id}/pick-list-and-packing-slip.html"
    return {"pick_list": key, "packing_slip": key}


def request_fulfilment(
    order_id: str,
    shipment_id: str,
    token: str,
    *,
    orders: OrderRepository,
    requests: FulfilmentRequests,
    documents: DocumentStore,
    signals: TaskSignals,
    clock: Clock,
) -> str:
    """Stores the token, writes the pick list and packing slip (one document), sends the request.
    Returns what it did."""

    def remember(order: Order) -> None:
        shipment = order.shipment(shipment_id)
        shipment.request_token = token
        # a shipment first requested when each document was an object of its own keeps those keys
        shipment.documents = shipment.documents or document_keys(order_id, shipment_id)

    update_order(orders, order_id, remember)
    order = orders.get(order_id)
    assert order is not None
    shipment = order.shipment(shipment_id)
    if shipment.status == ShipmentStatus.PICKED and shipment.repack_reason:
        # the carrier refused the parcel: the node re-packs it; its next packed event answers this token
        requests.send(shipment.node_id, repack_request(order, shipment, token, clock.now()))
        return "repack_requested"
    if shipment.status != ShipmentStatus.REQUESTED:
        # a retried step: the node already answered the first request, so answer this token from that
        answer_request(shipment, signals)
        return "answered"
    names = {line.line_id: line.name for line in order.lines}
    lines = [(line.line_id, line.sku, line.quantity, names.get(line.line_id)) for line in shipment.lines]
    slips = shipment_slips_html(
        order.external_id, shipment_id, shipment.node_id, order.customer.name, order.ship_to, lines
    )
    for key in sorted(set(shipment.documents.values())):
        documents.put(key, slips.encode(), "text/html; charset=utf-8")
    requests.send(shipment.node_id, fulfilment_request(order, shipment, token, documents, clock.now()))
    return "requested"


def fulfilment_request(
    order: Order, shipment: Shipment, token: str, documents: DocumentStore, at: datetime
) -> dict[str, Any]:
    """The message a node's warehouse system receives. Its answers go to the events queue or API."""
    return {
        "type": "fulfilment_request",
        "order_id": order.order_id,
        "order_ref": order.external_id,
        "shipment_id": shipment.shipment_id,
        "node_id": shipment.node_id,
        "method": shipment.method,
        "service_level": order.delivery.service_level,
        "lines": [vars(line) for line in shipment.lines],
        "ship_to": vars(order.ship_to) if order.ship_to else None,
        # presigned: good for days at most, and only while the signing credentials last; `links` do not expire
        "documents": {kind: documents.url(key, PRESIGN_MAX_S) for kind, key in shipment.documents.items()},
        "links": shipment_links(shipment.shipment_id, shipment.documents),
        "task_token": token,
        "requested_at": at.isoformat(),
    }


def repack_request(order: Order, shipment: Shipment, token: str, at: datetime) -> dict[str, Any]:
    """The message a node receives when the carrier refused a parcel it packed: re-pack and report packed."""
    return {
        "type": "repack_requested",
        "order_id": order.order_id,
        "order_ref": order.external_id,
        "shipment_id": shipment.shipment_id,
        "node_id": shipment.node_id,
        "reason": shipment.repack_reason,
        "attempt": shipment.repacks,
        "task_token": token,
        "requested_at": at.isoformat(),
    }

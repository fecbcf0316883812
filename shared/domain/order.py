"""The order aggregate and its status machine. No I/O: callers pass in the time and ids."""

from __future__ import annotations

import copy as _copy
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from shared.domain.audit import Actor
from shared.domain.errors import DomainError, IllegalTransition
from shared.domain.exceptions import ActionRefused, ExceptionType, OrderException
from shared.domain.routing import (
    Allocation,
    Candidate,
    RoutingDecision,
    RoutingLine,
    RoutingRequest,
)
from shared.domain.shipment import (
    LEFT_THE_NODE,
    Shipment,
    ShipmentCancelled,
    ShipmentEvent,
    ShipmentLine,
    ShipmentStatus,
)
from shared.domain.shipping import Label
from shared.domain.values import Address, GeoPoint
from shared.records import record


class OrderStatus(StrEnum):
    RECEIVED = "RECEIVED"
    ON_HOLD = "ON_HOLD"
    RESERVED = "RESERVED"
    BACKORDERED = "BACKORDERED"
    RELEASED = "RELEASED"
    PARTIALLY_SHIPPED = "PARTIALLY_SHIPPED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"
    EXCEPTION = "EXCEPTION"
    RETURN_REQUESTED = "RETURN_REQUESTED"
    RETURNED = "RETURNED"


_S = OrderStatus
# Every legal move; anything else is rejected. Terminal states have no outgoing edges.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    _S.RECEIVED: frozenset({_S.ON_HOLD, _S.RESERVED, _S.BACKORDERED, _S.CANCELLED, _S.EXCEPTION}),
    _S.ON_HOLD: frozenset({_S.RECEIVED, _S.CANCELLED, _S.EXCEPTION}),
    _S.BACKORDERED: frozenset({_S.RESERVED, _S.CANCELLED, _S.EXCEPTION}),
    _S.RESERVED: frozenset({_S.RELEASED, _S.CANCELLED, _S.EXCEPTION}),
    _S.RELEASED: frozenset({_S.PARTIALLY_SHIPPED, _S.SHIPPED, _S.CANCELLED, _S.EXCEPTION}),
    _S.PARTIALLY_SHIPPED: frozenset({_S.SHIPPED, _S.EXCEPTION, _S.CANCELLED}),
    _S.SHIPPED: frozenset({_S.DELIVERED, _S.EXCEPTION}),
    _S.DELIVERED: frozenset({_S.RETURN_REQUESTED}),
    _S.RETURN_REQUESTED: frozenset({_S.RETURNED, _S.DELIVERED}),
    # cancelling the rest of a failed order leaves it SHIPPED or DELIVERED for what had left
    _S.EXCEPTION: frozenset({_S.RECEIVED, _S.CANCELLED, _S.SHIPPED, _S.DELIVERED}),
    _S.CANCELLED: frozenset(),
    _S.RETURNED: frozenset(),
}


# Statuses from which what has not shipped can still be cancelled.
_CANCELLABLE = frozenset(
    {_S.RECEIVED, _S.ON_HOLD, _S.BACKORDERED, _S.RESERVED, _S.RELEASED, _S.PARTIALLY_SHIPPED, _S.EXCEPTION}
)
# Statuses in which shipment progress moves the order's own status.
_SHIPPING = frozenset({_S.RELEASED, _S.PARTIALLY_SHIPPED, _S.SHIPPED})
_SHIPPING_PATH = (_S.RELEASED, _S.PARTIALLY_SHIPPED, _S.SHIPPED, _S.DELIVERED)
# The subject of a stuck exception the sweep raised: it resolves as soon as the order moves.
NO_PROGRESS = "progress"
# The statuses an order's preparation (payment check, confirmation, reservation) moves it through.
PREPARING = frozenset({_S.RECEIVED, _S.RESERVED})
# The note of a stuck order's new run: the time its status may take starts again from it.
RESTARTED = "restarted"
# Shipment statuses a re-route may take from a node: asked for, not yet packed.
_REROUTABLE = frozenset({ShipmentStatus.REQUESTED, ShipmentStatus.ACCEPTED, ShipmentStatus.PICKED})


class ShipmentNotFound(DomainError):
    code = "not_found"
    http_status = 404

    def __init__(self, order_id: str, shipment_id: str) -> None:
        super().__init__(f"order {order_id} has no shipment {shipment_id}")

    def http_message(self) -> str:
        return "no such shipment"


class NothingToCancel(DomainError):
    code = "already_shipped"
    http_status = 409

    def __init__(self, order_id: str, status: OrderStatus) -> None:
        super().__init__(f"order {order_id} is {status}: everything has shipped, so nothing can be cancelled")


@record
class Cancellation:
    """What a cancellation took back: lines (id, quantity) and shipments; whole when nothing had shipped."""

    at: datetime
    reason: str
    by: str
    lines: tuple[tuple[str, int], ...]
    shipments: tuple[str, ...]
    whole: bool
    # shipments whose stock had been consumed (a pickup order waiting at the store): units go back
    restock: tuple[str, ...] = ()


class ReturnRefused(DomainError):
    code = "not_returnable"

    def __init__(self, message: str, code: str = "not_returnable") -> None:
        super().__init__(message)
        self.code = code
        self.http_status = 404 if code == "not_found" else 409


@record
class ReturnLine:
    line_id: str
    sku: str
    quantity: int
    resellable: int = 0  # as the warehouse found them on receipt
    damaged: int = 0


@record
class ReturnReceipt:
    """One parcel of an RMA as the warehouse found it: per line (line_id, resellable, damaged)."""

    event_id: str
    at: datetime
    lines: tuple[tuple[str, int, int], ...]
    settled: bool = False  # restocked and its refund opened
    refund_id: str | None = None

    @property
    def units(self) -> dict[str, int]:
        return {line_id: good + bad for line_id, good, bad in self.lines if good + bad}


# REQUESTED -> LABELLED -> (PARTIALLY_RECEIVED ->) RECEIVED -> REFUNDED; or CLOSED when the return
# window ends with units still out (what arrived is refunded, the rest the customer keeps)
RETURN_CLOSED = frozenset({"REFUNDED", "CLOSED"})


@dataclass
class Return:
    """An RMA: lines the customer sends back to `node_id`, with a return label."""

    rma_id: str
    node_id: str
    reason: str
    lines: tuple[ReturnLine, ...]
    created_at: datetime
    status: str = "REQUESTED"
    label: Label | None = None
    token: str | None = None
    received_at: datetime | None = None
    refund_id: str | None = None
    event_ids: list[str] = field(default_factory=list)
    receipts: list[ReturnReceipt] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.status not in RETURN_CLOSED

    @property
    def outstanding(self) -> int:
        """Units asked back that have not arrived."""
        return sum(line.quantity - line.resellable - line.damaged for line in self.lines)

    def received_units(self) -> dict[str, int]:
        return {line.line_id: line.resellable + line.damaged for line in self.lines}


class PaymentCheck(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    FAILED = "failed"


@record
class Customer:
    email: str
    name: str
    phone: str | None = None


@record
class Line:
    line_id: str
    sku: str
    quantity: int
    unit_amount: int
    # what the customer bought, as the channel names and shows it (emails, pick lists, slips)
    name: str | None = None
    image_url: str | None = None

    @property
    def label(self) -> str:
        return self.name or self.sku

    @property
    def amount(self) -> int:
        return self.quantity * self.unit_amount


@record
class Delivery:
    method: str  # "ship" | "pickup"
    service_level: str  # "standard" | "express"
    pickup_node: str | None = None


@record
class Totals:
    lines: int
    shipping: int
    tax: int

    @property
    def grand_total(self) -> int:
        return self.lines + self.shipping + self.tax


@record
class HistoryEntry:
    at: datetime
    status: OrderStatus
    event: str
    cause: str
    # who asked for it, when a person or a client did (the audit trail); None for the flows' own steps
    actor: Actor | None = None


@record
class Routing:
    """The routing decision as recorded on the order: what was decided, why, and what was weighed."""

    outcome: str  # allocated | partial | backorder | hold
    reason: str
    allocations: tuple[Allocation, ...]
    backordered: tuple[tuple[str, int], ...]
    candidates: tuple[Candidate, ...]
    considered: int
    decided_at: datetime


@record
class Execution:
    arn: str
    state_machine: str
    started_at: datetime


@dataclass
class Order:
    order_id: str
    channel: str
    external_id: str
    currency: str
    customer: Customer
    ship_to: Address | None  # None only for pickup orders
    lines: tuple[Line, ...]
    shipping_amount: int
    tax_amount: int
    payment_intent: str
    delivery: Delivery
    created_at: datetime
    status: OrderStatus = OrderStatus.RECEIVED
    payment_check: PaymentCheck = PaymentCheck.PENDING
    hold_reason: str | None = None
    # the payment hold's code (shared.domain.payment), when held for payment
    hold_code: str | None = None
    exception_cause: str | None = None
    confirmation_message_id: str | None = None
    history: list[HistoryEntry] = field(default_factory=list)
    executions: list[Execution] = field(default_factory=list)
    routing: Routing | None = None
    shipments: list[Shipment] = field(default_factory=list)
    # what the PaymentIntent took (minor units), recorded by the payment check: the refund ceiling
    captured_amount: int = 0
    cancellation: Cancellation | None = None
    # provider message ids of the refund emails, by refund id: one email per refund
    refund_emails: dict[str, str] = field(default_factory=dict)
    # provider message ids of the other emails about the whole order ("cancelled", "return_opened:<rma>")
    emails: dict[str, str] = field(default_factory=dict)
    returns: list[Return] = field(default_factory=list)
    # typed exceptions, open and resolved: what went wrong and what a person can do about it
    exceptions: list[OrderException] = field(default_factory=list)
    # allocation priority of the channel when the order was routed (lower is served first)
    priority: int = 100
    # the node a person asked the next routing to use (a re-route to a named node)
    routing_node: str | None = None
    # operations' Idempotency-Keys: key -> "<digest of the action>|<execution it started>"
    action_keys: dict[str, str] = field(default_factory=dict)
    # optimistic-concurrency counter, bumped by each save
    version: int = 0

    def destination(self) -> Address:
        """Where this order's parcels go: only orders that ship have one."""
        if self.ship_to is None:
            raise IllegalTransition(self.status, OrderStatus.SHIPPED)
        return self.ship_to

    @property
    def totals(self) -> Totals:
        return Totals(sum(line.amount for line in self.lines), self.shipping_amount, self.tax_amount)

    def _move(self, to: OrderStatus, event: str, cause: str, at: datetime, actor: Actor | None = None) -> None:
        if to not in TRANSITIONS[self.status]:
            raise IllegalTransition(self.status, to)
        self.status = to
        # progress: an order found stuck in its old status is not any more
        self.resolve_exceptions(at, ExceptionType.STUCK, ExceptionType.BACKORDERED, subject=NO_PROGRESS)
        self.history.append(HistoryEntry(at, to, event, cause, actor))

    def _note(self, event: str, cause: str, at: datetime, actor: Actor | None = None) -> None:
        self.history.append(HistoryEntry(at, self.status, event, cause, actor))

    def audit(self, event: str, cause: str, at: datetime, actor: Actor) -> None:
        """Records a write a principal made that changes nothing else on the order (e.g. a retried refund)."""
        self._note(event, cause, at, actor)

    def latest_run(self, machine: str | None) -> str | None:
        """The name of the order's latest execution of `machine` (its preparation: a run), None before any."""
        runs = [e.arn.rsplit(":", 1)[-1] for e in self.executions if e.state_machine == machine]
        return runs[-1] if runs else None

    def start_execution(self, execution: Execution) -> None:
        self.executions.append(execution)
        self._note("execution_started", execution.state_machine, execution.started_at)

    # --- exceptions ------------------------------------------------------------------------------

    def raise_exception(self, kind: ExceptionType, reason: str, at: datetime, subject: str | None = None) -> None:
        """Records a typed exception (callers note it in the history); the same one open is not recorded twice."""
        if any(e.open and e.type == kind and e.subject == subject for e in self.exceptions):
            return
        self.exceptions.append(OrderException(kind, reason, at, subject))

    def resolve_exceptions(self, at: datetime, *kinds: ExceptionType, subject: str | None = None) -> None:
        """Closes the open exceptions of these kinds (all kinds when none given), optionally about one subject."""
        for i, e in enumerate(self.exceptions):
            if e.open and (not kinds or e.type in kinds) and (subject is None or e.subject == subject):
                self.exceptions[i] = replace(e, resolved_at=at)

    @property
    def open_exceptions(self) -> list[OrderException]:
        return [e for e in self.exceptions if e.open]

    def verify_payment(self, at: datetime, captured: int = 0) -> None:
        self.payment_check = PaymentCheck.VERIFIED
        self.captured_amount = captured
        self._note("payment_verified", "payment intent covers the order", at)

    def hold_for_payment(self, reason: str, at: datetime, code: str | None = None) -> None:
        self.payment_check = PaymentCheck.FAILED
        self.hold_reason = reason
        self.hold_code = code
        self._move(OrderStatus.ON_HOLD, "payment_failed", reason, at)
        self.raise_exception(ExceptionType.PAYMENT_HOLD, reason, at)

    @property
    def confirmation_sent(self) -> bool:
        return self.confirmation_message_id is not None

    def confirm_sent(self, message_id: str, at: datetime) -> str:
        """Records the confirmation; returns the first message id if one was recorded."""
        if self.confirmation_message_id is None:
            self.confirmation_message_id = message_id
            self._note("confirmation_sent", message_id, at)
        return self.confirmation_message_id

    def unfulfilled(self) -> dict[str, int]:
        """Units per line no live shipment holds: all of them before release, what is left after a failure."""
        held: Counter[str] = Counter()
        for s in self.shipments:
            if s.active:
                for line in s.lines:
                    held[line.line_id] += line.quantity
        return {
            line.line_id: line.quantity - held[line.line_id]
            for line in self.lines
            if line.quantity > held[line.line_id]
        }

    def routing_request(self) -> RoutingRequest:
        lat, lon = (self.ship_to.lat, self.ship_to.lon) if self.ship_to else (None, None)
        left = self.unfulfilled()
        return RoutingRequest(
            lines=tuple(
                RoutingLine(line.line_id, line.sku, left[line.line_id]) for line in self.lines if line.line_id in left
            ),
            method="pickup" if self.delivery.method == "pickup" else "ship",
            pickup_node=self.delivery.pickup_node,
            destination=GeoPoint(lat, lon) if lat is not None and lon is not None else None,
            service_level="express" if self.delivery.service_level == "express" else "standard",
        )

    def apply_routing(self, decision: RoutingDecision, priority: int, at: datetime) -> None:
        """Records the decision; the order becomes RESERVED, BACKORDERED or ON_HOLD."""
        self.priority = priority
        self.routing_node = None
        self.routing = Routing(
            decision.outcome,
            decision.reason,
            decision.allocations,
            decision.backordered,
            decision.candidates,
            decision.considered,
            at,
        )
        if decision.outcome in ("allocated", "partial"):
            nodes = ", ".join(decision.node_ids)
            self._move(OrderStatus.RESERVED, "reserved", f"from {nodes}: {decision.reason}", at)
            if decision.backordered:
                # policy `partial`: the rest is not allocated later; cancelling it refunds it
                units = ", ".join(f"{line_id} x{qty}" for line_id, qty in decision.backordered)
                self.raise_exception(ExceptionType.UNFILLED_REMAINDER, f"not in stock: {units}", at)
        elif decision.outcome == "backorder":
            if self.status != OrderStatus.BACKORDERED:
                self._move(OrderStatus.BACKORDERED, "backordered", decision.reason, at)
        else:
            self.hold_reason = decision.reason
            self._move(OrderStatus.ON_HOLD, "routing_held", decision.reason, at)
            self.raise_exception(ExceptionType.ROUTING_HOLD, decision.reason, at)

    # --- operations: what a person does about an exception ------------------------------------------

    def release_hold(self, reason: str, at: datetime, actor: Actor, *, override: bool = False) -> None:
        """ON_HOLD -> RECEIVED, to be run again from the payment check. A payment hold is checked
        with Stripe again, unless `override`: then the person vouches for the payment."""
        if self.status != OrderStatus.ON_HOLD:
            raise ActionRefused("not_on_hold", f"order {self.order_id} is {self.status}, not ON_HOLD")
        payment = any(e.open and e.type == ExceptionType.PAYMENT_HOLD for e in self.exceptions)
        if payment and override:
            self.payment_check = PaymentCheck.VERIFIED
            self._note("payment_override", f"{self.hold_code or 'payment hold'} overridden: {reason}", at, actor)
        elif payment:
            self.payment_check = PaymentCheck.PENDING
        self.hold_reason = self.hold_code = None
        self.resolve_exceptions(at, ExceptionType.PAYMENT_HOLD, ExceptionType.ROUTING_HOLD)
        self._move(OrderStatus.RECEIVED, "hold_released", reason, at, actor)

    def retry_fulfilment(self, reason: str, at: datetime, actor: Actor, *, node_id: str | None = None) -> None:
        """EXCEPTION -> RECEIVED after a failed fulfilment: what had not left is routed again (to
        `node_id` when given) by a new execution; what had left stays as it is."""
        failed = (ExceptionType.FULFILMENT_FAILED, ExceptionType.CARRIER_REFUSED)
        if self.status != OrderStatus.EXCEPTION or not any(e.open and e.type in failed for e in self.exceptions):
            raise ActionRefused("nothing_to_retry", f"order {self.order_id} is {self.status} with no failed fulfilment")
        if self.cancellation is not None or not self.unfulfilled():
            raise ActionRefused("nothing_to_retry", f"order {self.order_id} has nothing left to fulfil")
        self.exception_cause = None
        self.routing_node = node_id
        self.resolve_exceptions(at, *failed)
        event, why = ("rerouted", f"to {node_id}: {reason}") if node_id else ("retried", reason)
        self._move(OrderStatus.RECEIVED, event, why, at, actor)

    def reject_for_reroute(
        self, reason: str, at: datetime, actor: Actor, *, node_id: str | None = None
    ) -> list[Shipment]:
        """Takes the shipments a node holds and has not packed away from it: each is rejected, so the
        flow waiting on it routes its lines to another node (`node_id`, or by the routing rules).
        Returns them, so their nodes can be told to stop."""
        waiting = [
            s
            for s in self.shipments
            if s.active and s.status in _REROUTABLE and s.request_token and s.node_id != node_id
        ]
        if self.status not in _SHIPPING or not waiting:
            raise ActionRefused("nothing_to_reroute", f"order {self.order_id} has no shipment waiting at a node")
        self.routing_node = node_id
        for s in waiting:
            s.status = ShipmentStatus.REJECTED
            s.rejected_reason = f"re-routed by {actor}: {reason}"
            self._note("shipment_reroute", f"{s.shipment_id} taken from {s.node_id}: {reason}", at, actor)
        return waiting

    @property
    def stuck_before_release(self) -> bool:
        """Found stuck by the sweep while its preparation had it (its run died, e.g. timed out)."""
        return self.status in PREPARING and any(
            e.open and e.type == ExceptionType.STUCK and e.subject == NO_PROGRESS for e in self.exceptions
        )

    def retry_stuck(self, reason: str, at: datetime, actor: Actor) -> None:
        """An order stuck before its release is prepared again by a new run: its stuck exception is
        resolved and the wait starts again."""
        if not self.stuck_before_release:
            raise ActionRefused("nothing_to_retry", f"order {self.order_id} is {self.status}, not stuck before release")
        self.resolve_exceptions(at, ExceptionType.STUCK, subject=NO_PROGRESS)
        self._note(RESTARTED, reason, at, actor)

    def found_stuck(self, kind: ExceptionType, reason: str, since: datetime, at: datetime) -> None:
        """No progress since `since`, longer than its status is expected to take (the sweep's finding)."""
        self.raise_exception(kind, reason, since, NO_PROGRESS)
        self._note("no_progress", reason, at)

    def retry_return(self, rma_id: str, reason: str, at: datetime, actor: Actor) -> None:
        """A failed return step is run again (a new returns execution): its exception is resolved."""
        self.return_of(rma_id)
        if not any(e.open and e.type == ExceptionType.RETURN_FAILED and e.subject == rma_id for e in self.exceptions):
            raise ActionRefused("nothing_to_retry", f"return {rma_id} has not failed")
        self.resolve_exceptions(at, ExceptionType.RETURN_FAILED, subject=rma_id)
        self._note("return_retried", f"{rma_id}: {reason}", at, actor)

    def refund_failed(self, refund_id: str, cause: str, at: datetime) -> None:
        """A refund could not be paid: a refund_failed exception says why, until it is retried."""
        if not any(
            e.open and e.type == ExceptionType.REFUND_FAILED and e.subject == refund_id for e in self.exceptions
        ):
            self._note("refund_failed", f"{refund_id}: {cause}", at)
        self.raise_exception(ExceptionType.REFUND_FAILED, cause, at, refund_id)

    def refund_retried(self, refund_id: str, retry_id: str, reason: str, at: datetime, actor: Actor) -> None:
        self.resolve_exceptions(at, ExceptionType.REFUND_FAILED, subject=refund_id)
        self._note("refund_retried", f"{refund_id} failed; {retry_id} opened for it: {reason}", at, actor)

    # --- fulfilment ---------------------------------------------------------------------------

    def release(self, at: datetime) -> list[Shipment]:
        """RESERVED -> RELEASED: one shipment per node the routing chose. Releasing again changes nothing.

        After a retry the order is RESERVED again with shipments from before: new ones are added for
        what the new routing allocated, and the order's status follows what had already left."""
        if self.shipments and self.status != OrderStatus.RESERVED:
            return self.shipments
        if self.routing is None:
            raise IllegalTransition(self.status, OrderStatus.RELEASED)
        per_node: dict[str, list[ShipmentLine]] = {}
        for a in self.routing.allocations:
            per_node.setdefault(a.node_id, []).append(ShipmentLine(a.line_id, a.sku, a.quantity))
        self._move(OrderStatus.RELEASED, "released", f"to {', '.join(per_node)}", at)
        for node_id, lines in per_node.items():
            self.shipments.append(self._new_shipment(node_id, tuple(lines)))
        self._follow_shipments(at)
        return self.shipments

    def _new_shipment(self, node_id: str, lines: tuple[ShipmentLine, ...], replaces: str | None = None) -> Shipment:
        shipment_id = f"{self.order_id}-S{len(self.shipments) + 1}"
        return Shipment(shipment_id, node_id, self.delivery.method, lines, replaces=replaces)

    def shipment(self, shipment_id: str) -> Shipment:
        found = next((s for s in self.shipments if s.shipment_id == shipment_id), None)
        if found is None:
            raise ShipmentNotFound(self.order_id, shipment_id)
        return found

    def reroute(self, shipment_id: str, node_id: str, at: datetime) -> Shipment:
        """A rejected shipment's lines go to another node as a new shipment (once per rejected shipment)."""
        rejected = self.shipment(shipment_id)
        existing = next((s for s in self.shipments if s.replaces == shipment_id), None)
        if existing is not None:
            return existing
        if self.cancellation is not None:
            raise ShipmentCancelled(shipment_id)
        if rejected.status != ShipmentStatus.REJECTED:
            raise IllegalTransition(rejected.status, "re-routed")
        new = self._new_shipment(node_id, rejected.lines, replaces=shipment_id)
        self.shipments.append(new)
        self.routing_node = None
        self._note(
            "shipment_rerouted", f"{shipment_id} rejected at {rejected.node_id}; {new.shipment_id} to {node_id}", at
        )
        return new

    def shipment_event(self, shipment_id: str, event: ShipmentEvent, at: datetime) -> bool:
        """Applies a warehouse or carrier event; False when it was a redelivery. EventRefused if it does not fit."""
        shipment = self.shipment(shipment_id)
        if not shipment.apply(event):
            return False
        cause = f"{shipment_id} at {shipment.node_id}"
        detail = event.reason or event.detail
        self._note(f"shipment_{event.type.value}", f"{cause}: {detail}" if detail else cause, at)
        self._follow_shipments(at)
        return True

    def shipment_labelled(self, shipment_id: str, at: datetime) -> None:
        shipment = self.shipment(shipment_id)
        label = shipment.label
        assert label is not None
        self._note("label_bought", f"{shipment_id}: {label.carrier} {label.service} {label.tracking_number}", at)

    def repack_needed(self, shipment_id: str, reason: str, at: datetime) -> None:
        """A packed event was refused (the parcel is over the carrier's limits): the shipment stays
        where it was, waiting for the node to re-pack, and says why. Told once per reason."""
        shipment = self.shipment(shipment_id)
        if shipment.repack_reason != reason:
            shipment.repack_reason = reason
            self._note("shipment_repack", f"{shipment_id} at {shipment.node_id}: {reason}", at)

    def parcel_refused(self, shipment_id: str, reason: str, at: datetime) -> None:
        """The carrier refused the packed parcel: the shipment goes back to its node to be re-packed."""
        shipment = self.shipment(shipment_id)
        shipment.refuse_parcel(reason)
        self._note("shipment_repack", f"{shipment_id} at {shipment.node_id}: {reason}", at)

    def hand_over(self, shipment_id: str, at: datetime) -> Shipment:
        shipment = self.shipment(shipment_id)
        shipment.hand_over()
        event = "shipment_ready_for_pickup" if shipment.method == "pickup" else "shipment_shipped"
        self._note(event, f"{shipment_id} from {shipment.node_id}", at)
        self._follow_shipments(at)
        return shipment

    def shipment_emailed(self, shipment_id: str, kind: str, message_id: str, at: datetime) -> str:
        """Records the email sent about a shipment; returns the first message id if one was recorded."""
        shipment = self.shipment(shipment_id)
        if kind not in shipment.emails:
            shipment.emails[kind] = message_id
            self._note(f"email_{kind}", f"{shipment_id}: {message_id}", at)
        return shipment.emails[kind]

    def _shipping_target(self) -> OrderStatus | None:
        """Where the order's lines are: DELIVERED, SHIPPED, PARTIALLY_SHIPPED, or None (nothing left yet)."""
        over: Counter[str] = Counter()
        delivered: Counter[str] = Counter()
        if self.cancellation is not None:  # cancelled lines need neither shipping nor delivering
            for line_id, quantity in self.cancellation.lines:
                over[line_id] += quantity
                delivered[line_id] += quantity
        for s in self.shipments:
            for line in s.lines:
                if s.handed_over:
                    over[line.line_id] += line.quantity
                if s.status == ShipmentStatus.DELIVERED:
                    delivered[line.line_id] += line.quantity
        if all(delivered[line.line_id] >= line.quantity for line in self.lines):
            return OrderStatus.DELIVERED
        if all(over[line.line_id] >= line.quantity for line in self.lines):
            return OrderStatus.SHIPPED
        if any(s.handed_over for s in self.shipments):
            return OrderStatus.PARTIALLY_SHIPPED
        return None

    def _follow_shipments(self, at: datetime) -> None:
        """The order's status follows its lines: how many units were handed over, how many delivered."""
        if self.status not in _SHIPPING:
            return  # e.g. in EXCEPTION: the shipment's news is recorded, the order's status stays
        target = self._shipping_target()
        if target is None:
            return
        causes = {
            OrderStatus.PARTIALLY_SHIPPED: "some lines handed over",
            OrderStatus.SHIPPED: "every line handed over",
            OrderStatus.DELIVERED: "every line delivered",
        }
        for step in _SHIPPING_PATH[_SHIPPING_PATH.index(self.status) + 1 : _SHIPPING_PATH.index(target) + 1]:
            if step == OrderStatus.PARTIALLY_SHIPPED and target != step:
                continue  # straight to SHIPPED when everything went at once
            self._move(step, step.value.lower(), causes[step], at)

    def cancel(self, reason: str, by: str, at: datetime, actor: Actor | None = None) -> Cancellation:
        """Cancels every unit that has not left its node. Cancelling again answers the first cancellation.

        Per unit: a line split over nodes keeps what one node shipped and cancels the rest. A pickup
        order waiting at the store has not left: it is cancelled and its units go back on the shelf.
        """
        if self.cancellation is not None:
            return self.cancellation
        if self.status not in _CANCELLABLE:
            raise NothingToCancel(self.order_id, self.status)
        left: Counter[str] = Counter()
        for s in self.shipments:
            if s.status in LEFT_THE_NODE:
                for line in s.lines:
                    left[line.line_id] += line.quantity
        lines = tuple(
            (line.line_id, line.quantity - left[line.line_id])
            for line in self.lines
            if line.quantity > left[line.line_id]
        )
        if not lines:
            raise NothingToCancel(self.order_id, self.status)
        stopped, restock = [], []
        for s in self.shipments:
            if s.active and s.status not in LEFT_THE_NODE:
                if s.handed_over:
                    restock.append(s.shipment_id)
                s.status = ShipmentStatus.CANCELLED
                stopped.append(s.shipment_id)
        whole = not left
        self.cancellation = Cancellation(at, reason, by, lines, tuple(stopped), whole, tuple(restock))
        self.resolve_exceptions(
            at, ExceptionType.FULFILMENT_FAILED, ExceptionType.CARRIER_REFUSED, ExceptionType.PICKUP_NOT_COLLECTED
        )
        self.resolve_exceptions(
            at, ExceptionType.PAYMENT_HOLD, ExceptionType.ROUTING_HOLD, ExceptionType.UNFILLED_REMAINDER
        )
        if whole:
            self._move(OrderStatus.CANCELLED, "cancelled", f"by {by}: {reason}", at, actor)
            return self.cancellation
        units = ", ".join(f"{i} x{q}" for i, q in lines)
        self._note("partially_cancelled", f"by {by}: {units}: {reason}", at, actor)
        if self.status == OrderStatus.EXCEPTION:
            # the failed part is cancelled: the order finishes with what had left
            target = self._shipping_target()
            if target in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
                self._move(target, target.value.lower(), "the rest was cancelled", at)
        else:
            self._follow_shipments(at)
        return self.cancellation

    # --- returns -------------------------------------------------------------------------------

    def returnable(self) -> dict[str, int]:
        """Units per line that were delivered and not yet asked back."""
        left: Counter[str] = Counter()
        for s in self.shipments:
            if s.status == ShipmentStatus.DELIVERED:
                for line in s.lines:
                    left[line.line_id] += line.quantity
        for r in self.returns:
            # an RMA closed with units still out gives them back: the customer kept them
            gone = r.received_units() if r.status == "CLOSED" else {rl.line_id: rl.quantity for rl in r.lines}
            for line_id, qty in gone.items():
                left[line_id] -= qty
        return {line_id: qty for line_id, qty in left.items() if qty > 0}

    def open_return(self, units: dict[str, int], reason: str, at: datetime, actor: Actor | None = None) -> Return:
        """A new RMA; the same request again while its parcel is still on the way answers that RMA."""
        for r in self.returns:
            asked = {rl.line_id: rl.quantity for rl in r.lines}
            if r.status in ("REQUESTED", "LABELLED") and asked == units and r.reason == reason:
                return r  # a double submit
        if self.status not in (OrderStatus.DELIVERED, OrderStatus.RETURN_REQUESTED):
            raise ReturnRefused(f"order {self.order_id} is {self.status}: only delivered orders take returns")
        left = self.returnable()
        for line_id, qty in units.items():
            if qty > left.get(line_id, 0):
                raise ReturnRefused(
                    f"line {line_id}: {qty} asked back, {left.get(line_id, 0)} delivered and not yet returned",
                    "exceeds_returnable",
                )
        skus = {line.line_id: line.sku for line in self.lines}
        # back to the node that shipped the first returned line
        first = next(iter(units))
        node_id = next(
            s.node_id
            for s in self.shipments
            if s.status == ShipmentStatus.DELIVERED and any(line.line_id == first for line in s.lines)
        )
        rma = Return(
            rma_id=f"{self.order_id}-R{len(self.returns) + 1}",
            node_id=node_id,
            reason=reason,
            lines=tuple(ReturnLine(line_id, skus[line_id], qty) for line_id, qty in units.items()),
            created_at=at,
        )
        self.returns.append(rma)
        if self.status != OrderStatus.RETURN_REQUESTED:
            self._move(OrderStatus.RETURN_REQUESTED, "return_requested", f"{rma.rma_id}: {reason}", at, actor)
        else:
            self._note("return_requested", f"{rma.rma_id}: {reason}", at, actor)
        return rma

    def return_of(self, rma_id: str) -> Return:
        found = next((r for r in self.returns if r.rma_id == rma_id), None)
        if found is None:
            raise ReturnRefused(f"order {self.order_id} has no return {rma_id}", "not_found")
        return found

    def return_labelled(self, rma_id: str, label: Label, at: datetime) -> None:
        rma = self.return_of(rma_id)
        if rma.label is None:
            rma.label = label
            rma.status = "LABELLED"
            self._note("return_label", f"{rma_id}: {label.tracking_number}", at)

    def receive_return(
        self, rma_id: str, event_id: str, found: dict[str, tuple[int, int]], node_id: str, at: datetime
    ) -> bool:
        """A parcel of the return at the warehouse: per line (resellable, damaged). False for a redelivery.

        An RMA may arrive in several parcels: it stays PARTIALLY_RECEIVED until every unit is in.
        """
        rma = self.return_of(rma_id)
        if event_id in rma.event_ids:
            return False
        if node_id != rma.node_id:
            raise ReturnRefused(f"return {rma_id} goes to {rma.node_id}, not {node_id}", "wrong_node")
        if rma.status in ("RECEIVED", *RETURN_CLOSED):
            raise ReturnRefused(f"return {rma_id} is {rma.status}: nothing more is expected", "stale_event")
        still = {rl.line_id: rl.quantity - rl.resellable - rl.damaged for rl in rma.lines}
        for line_id, (good, bad) in found.items():
            if line_id not in still or good + bad > still[line_id]:
                raise ReturnRefused(
                    f"return {rma_id}: line {line_id}: {good + bad} received, {still.get(line_id, 0)} still expected",
                    "wrong_lines",
                )
        rma.lines = tuple(
            ReturnLine(
                rl.line_id,
                rl.sku,
                rl.quantity,
                rl.resellable + found.get(rl.line_id, (0, 0))[0],
                rl.damaged + found.get(rl.line_id, (0, 0))[1],
            )
            for rl in rma.lines
        )
        rma.receipts.append(
            ReturnReceipt(event_id, at, tuple((line_id, good, bad) for line_id, (good, bad) in found.items()))
        )
        rma.status = "RECEIVED" if rma.outstanding == 0 else "PARTIALLY_RECEIVED"
        rma.received_at = at
        rma.event_ids.append(event_id)
        good, bad = sum(g for g, _ in found.values()), sum(b for _, b in found.values())
        counts = f"{good} resellable, {bad} damaged, {rma.outstanding} still out"
        self._note("return_received", f"{rma_id} at {node_id}: {counts}", at)
        return True

    def return_refunded(self, rma_id: str, receipt: int, refund_id: str | None, at: datetime) -> None:
        """A receipt was restocked and refunded. The RMA is REFUNDED once every unit is in; the order is
        RETURNED when nothing delivered is kept, DELIVERED when some is, once no return is open."""
        rma = self.return_of(rma_id)
        if rma.receipts[receipt].settled:
            return
        rma.receipts[receipt] = replace(rma.receipts[receipt], settled=True, refund_id=refund_id)
        rma.refund_id = refund_id or rma.refund_id
        self.resolve_exceptions(at, ExceptionType.RETURN_FAILED, subject=rma_id)
        if rma.outstanding == 0 and all(r.settled for r in rma.receipts):
            rma.status = "REFUNDED"
        self._settle_returns(rma_id, at)

    def close_return(self, rma_id: str, at: datetime) -> None:
        """The return window ended: units not received stay with the customer (and are returnable again)."""
        rma = self.return_of(rma_id)
        if not rma.open:
            return
        if any(not r.settled for r in rma.receipts):
            raise ReturnRefused(f"return {rma_id} has a receipt not yet refunded", "out_of_order")
        rma.status = "CLOSED"
        self._note("return_closed", f"{rma_id}: {rma.outstanding} units never arrived", at)
        self.resolve_exceptions(at, ExceptionType.RETURN_FAILED, subject=rma_id)
        self._settle_returns(rma_id, at)

    def _settle_returns(self, rma_id: str, at: datetime) -> None:
        if self.status != OrderStatus.RETURN_REQUESTED or any(r.open for r in self.returns):
            return  # another return (or the rest of this one) is still on its way
        kept = self.returnable()
        target = OrderStatus.DELIVERED if kept else OrderStatus.RETURNED
        self._move(target, "returned" if target == OrderStatus.RETURNED else "return_completed", rma_id, at)

    def refund_emailed(self, refund_id: str, message_id: str, at: datetime) -> str:
        if refund_id not in self.refund_emails:
            self.refund_emails[refund_id] = message_id
            self._note("email_refund", f"{refund_id}: {message_id}", at)
        return self.refund_emails[refund_id]

    def emailed(self, kind: str, message_id: str, at: datetime) -> str:
        """Records an email about the order; returns the first message id if one was recorded."""
        if kind not in self.emails:
            self.emails[kind] = message_id
            self._note(f"email_{kind.split(':')[0]}", message_id, at)
        return self.emails[kind]

    def payment_captured(self, amount: int, at: datetime) -> None:
        self.captured_amount = amount
        self._note("payment_captured", f"{amount} {self.currency}", at)

    def authorization_released(self, at: datetime) -> None:
        self._note("authorization_released", "cancelled before any of it was captured", at)

    def note_superseded_run(self, cause: str, at: datetime) -> None:
        """An earlier run's preparation failed while a later run has the order: the order is with
        that run, so nothing is raised; its history says why, and the sweep still reports the order
        if it stops moving."""
        self._note("preparation_superseded", cause, at)

    def note_problem(self, cause: str, at: datetime, subject: str | None = None) -> None:
        """A flow failed after everything had shipped: the status stays, the exception says so."""
        self.exception_cause = cause
        self._note("fulfilment_problem", cause, at)
        self.raise_exception(ExceptionType.STUCK, cause, at, subject)

    def fail(
        self,
        cause: str,
        at: datetime,
        kind: ExceptionType = ExceptionType.FULFILMENT_FAILED,
        subject: str | None = None,
    ) -> list[Shipment]:
        """EXCEPTION with a typed exception. Shipments still at their nodes are closed (their stock is
        given back by the caller) and returned, so their nodes can be told to stop."""
        closed = []
        for s in self.shipments:
            if s.active and not s.handed_over:
                s.status = ShipmentStatus.CANCELLED
                closed.append(s)
        self.exception_cause = cause
        self._move(OrderStatus.EXCEPTION, "exception", cause, at)
        self.raise_exception(kind, cause, at, subject)
        return closed

    def return_failed(self, rma_id: str, cause: str, at: datetime) -> None:
        """A step of the return failed: the RMA stays as it is, the exception says why and what to do."""
        self.return_of(rma_id)
        if not any(e.open and e.type == ExceptionType.RETURN_FAILED and e.subject == rma_id for e in self.exceptions):
            self._note("return_failed", f"{rma_id}: {cause}", at)
        self.raise_exception(ExceptionType.RETURN_FAILED, cause, at, rma_id)


# (sku, quantity, unit_amount) or (sku, quantity, unit_amount, name, image_url)
LineSpec = tuple[str, int, int] | tuple[str, int, int, str | None, str | None]


def _line(number: int, spec: LineSpec) -> Line:
    name, image_url = (spec[3], spec[4]) if len(spec) == 5 else (None, None)
    return Line(f"L{number}", spec[0], spec[1], spec[2], name, image_url)


def place(
    *,
    order_id: str,
    channel: str,
    external_id: str,
    currency: str,
    customer: Customer,
    ship_to: Address | None,
    lines: Sequence[LineSpec],
    shipping_amount: int,
    tax_amount: int,
    payment_intent: str,
    delivery: Delivery,
    at: datetime,
) -> Order:
    """A new order in RECEIVED, its lines numbered in the order the channel sent them."""
    order = Order(
        order_id=order_id,
        channel=channel,
        external_id=external_id,
        currency=currency,
        customer=customer,
        ship_to=ship_to,
        lines=tuple(_line(i + 1, spec) for i, spec in enumerate(lines)),
        shipping_amount=shipping_amount,
        tax_amount=tax_amount,
        payment_intent=payment_intent,
        delivery=delivery,
        created_at=at,
    )
    order.history.append(
        HistoryEntry(at, OrderStatus.RECEIVED, "captured", f"channel {channel}", Actor("channel", channel))
    )
    return order


def copy(order: Order) -> Order:
    """A detached copy, so fakes and callers never share mutable history lists."""
    return replace(
        order,
        history=list(order.history),
        executions=list(order.executions),
        shipments=_copy.deepcopy(order.shipments),
        refund_emails=dict(order.refund_emails),
        emails=dict(order.emails),
        returns=_copy.deepcopy(order.returns),
        exceptions=list(order.exceptions),
        action_keys=dict(order.action_keys),
    )

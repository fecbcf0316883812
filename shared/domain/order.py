"""The order aggregate and its status machine. No I/O: callers pass in the time and ids."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from shared.domain.errors import IllegalTransition
from shared.domain.routing import (
    Allocation,
    Candidate,
    GeoPoint,
    RoutingDecision,
    RoutingLine,
    RoutingRequest,
)


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
    _S.PARTIALLY_SHIPPED: frozenset({_S.SHIPPED, _S.EXCEPTION}),
    _S.SHIPPED: frozenset({_S.DELIVERED, _S.EXCEPTION}),
    _S.DELIVERED: frozenset({_S.RETURN_REQUESTED}),
    _S.RETURN_REQUESTED: frozenset({_S.RETURNED, _S.DELIVERED}),
    _S.EXCEPTION: frozenset({_S.RECEIVED, _S.CANCELLED}),
    _S.CANCELLED: frozenset(),
    _S.RETURNED: frozenset(),
}


class PaymentCheck(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    FAILED = "failed"


@dataclass(frozen=True)
class Customer:
    email: str
    name: str
    phone: str | None = None


@dataclass(frozen=True)
class Address:
    name: str
    line1: str
    city: str
    region: str
    postal_code: str
    country: str
    line2: str | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class Line:
    line_id: str
    sku: str
    quantity: int
    unit_amount: int

    @property
    def amount(self) -> int:
        return self.quantity * self.unit_amount


@dataclass(frozen=True)
class Delivery:
    method: str  # "ship" | "pickup"
    service_level: str  # "standard" | "express"
    pickup_node: str | None = None


@dataclass(frozen=True)
class Totals:
    lines: int
    shipping: int
    tax: int

    @property
    def grand_total(self) -> int:
        return self.lines + self.shipping + self.tax


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    status: OrderStatus
    event: str
    cause: str


@dataclass(frozen=True)
class Routing:
    """The routing decision as recorded on the order: what was decided, why, and what was weighed."""

    outcome: str  # allocated | partial | backorder | hold
    reason: str
    allocations: tuple[Allocation, ...]
    backordered: tuple[tuple[str, int], ...]
    candidates: tuple[Candidate, ...]
    considered: int
    decided_at: datetime


@dataclass(frozen=True)
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
    ship_to: Address
    lines: tuple[Line, ...]
    shipping_amount: int
    tax_amount: int
    payment_intent: str
    delivery: Delivery
    created_at: datetime
    status: OrderStatus = OrderStatus.RECEIVED
    payment_check: PaymentCheck = PaymentCheck.PENDING
    hold_reason: str | None = None
    exception_cause: str | None = None
    confirmation_message_id: str | None = None
    history: list[HistoryEntry] = field(default_factory=list)
    executions: list[Execution] = field(default_factory=list)
    routing: Routing | None = None
    # allocation priority of the channel when the order was routed (lower is served first)
    priority: int = 100
    # optimistic-concurrency counter, bumped by each save
    version: int = 0

    @property
    def totals(self) -> Totals:
        return Totals(sum(line.amount for line in self.lines), self.shipping_amount, self.tax_amount)

    def _move(self, to: OrderStatus, event: str, cause: str, at: datetime) -> None:
        if to not in TRANSITIONS[self.status]:
            raise IllegalTransition(self.status, to)
        self.status = to
        self.history.append(HistoryEntry(at, to, event, cause))

    def _note(self, event: str, cause: str, at: datetime) -> None:
        self.history.append(HistoryEntry(at, self.status, event, cause))

    def start_execution(self, execution: Execution) -> None:
        self.executions.append(execution)
        self._note("execution_started", execution.state_machine, execution.started_at)

    def verify_payment(self, at: datetime) -> None:
        self.payment_check = PaymentCheck.VERIFIED
        self._note("payment_verified", "payment intent covers the order", at)

    def hold_for_payment(self, reason: str, at: datetime) -> None:
        self.payment_check = PaymentCheck.FAILED
        self.hold_reason = reason
        self._move(OrderStatus.ON_HOLD, "payment_failed", reason, at)

    @property
    def confirmation_sent(self) -> bool:
        return self.confirmation_message_id is not None

    def confirm_sent(self, message_id: str, at: datetime) -> None:
        self.confirmation_message_id = message_id
        self._note("confirmation_sent", message_id, at)

    def routing_request(self) -> RoutingRequest:
        lat, lon = self.ship_to.lat, self.ship_to.lon
        return RoutingRequest(
            lines=tuple(RoutingLine(line.line_id, line.sku, line.quantity) for line in self.lines),
            method="pickup" if self.delivery.method == "pickup" else "ship",
            pickup_node=self.delivery.pickup_node,
            destination=GeoPoint(lat, lon) if lat is not None and lon is not None else None,
            service_level="express" if self.delivery.service_level == "express" else "standard",
        )

    def apply_routing(self, decision: RoutingDecision, priority: int, at: datetime) -> None:
        """Records the decision; the order becomes RESERVED, BACKORDERED or ON_HOLD."""
        self.priority = priority
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
        elif decision.outcome == "backorder":
            if self.status != OrderStatus.BACKORDERED:
                self._move(OrderStatus.BACKORDERED, "backordered", decision.reason, at)
        else:
            self.hold_reason = decision.reason
            self._move(OrderStatus.ON_HOLD, "routing_held", decision.reason, at)

    def fail(self, cause: str, at: datetime) -> None:
        self.exception_cause = cause
        self._move(OrderStatus.EXCEPTION, "exception", cause, at)


def place(
    *,
    order_id: str,
    channel: str,
    external_id: str,
    currency: str,
    customer: Customer,
    ship_to: Address,
    lines: list[tuple[str, int, int]],
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
        lines=tuple(Line(f"L{i + 1}", sku, qty, unit) for i, (sku, qty, unit) in enumerate(lines)),
        shipping_amount=shipping_amount,
        tax_amount=tax_amount,
        payment_intent=payment_intent,
        delivery=delivery,
        created_at=at,
    )
    order.history.append(HistoryEntry(at, OrderStatus.RECEIVED, "captured", f"channel {channel}"))
    return order


def copy(order: Order) -> Order:
    """A detached copy, so fakes and callers never share mutable history lists."""
    return replace(order, history=list(order.history), executions=list(order.executions))

"""The order document the API returns: a read model rendered from the domain order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime

from pydantic import Field

from shared.domain.exceptions import OrderException
from shared.domain.order import Order, Return
from shared.domain.refund_ledger import LedgerEntry
from shared.domain.shipment import Shipment
from shared.domain.shipping import Label
from shared.links import console_url, shipment_links
from shared.schemas.audit import ActorView
from shared.schemas.base import ApiModel
from shared.schemas.shipment_view import (
    LabelView,
    ParcelIn,
    ReturnLineView,
    ReturnView,
    ShipmentLineView,
    ShipmentView,
)

# Turns a stored document's key into a download link (presigned); None where links cannot be made.
Linker = Callable[[str], str] | None


class LineView(ApiModel):
    line_id: str
    sku: str
    name: str | None
    image_url: str | None
    quantity: int
    unit_amount: int
    amount: int


class TotalsView(ApiModel):
    lines: int
    shipping: int
    tax: int
    grand_total: int


class CustomerView(ApiModel):
    email: str
    name: str
    phone: str | None


class AddressView(ApiModel):
    name: str
    line1: str
    line2: str | None
    city: str
    region: str
    postal_code: str
    country: str
    lat: float | None
    lon: float | None


class DeliveryView(ApiModel):
    method: str
    service_level: str
    pickup_node: str | None


class PaymentView(ApiModel):
    stripe_payment_intent: str
    check: str
    hold_reason: str | None
    hold_code: str | None = Field(
        default=None,
        description="Why the order is held for payment: payment_not_found, payment_not_authorized, "
        "payment_currency_mismatch, payment_insufficient or payment_already_used",
    )


class HistoryView(ApiModel):
    at: datetime
    status: str
    event: str
    cause: str
    actor: ActorView | None = Field(
        default=None, description="Who asked for it (the audit trail); null for the flows' own steps"
    )


class AllocationView(ApiModel):
    node_id: str
    line_id: str
    sku: str
    quantity: int


class CandidateView(ApiModel):
    node_ids: list[str]
    score: float
    fills: bool
    note: str


class BackorderedView(ApiModel):
    line_id: str
    quantity: int


class RoutingView(ApiModel):
    """Where the order ships from and why, with the best candidates that were weighed."""

    outcome: str
    reason: str
    allocations: list[AllocationView]
    backordered: list[BackorderedView]
    candidates: list[CandidateView]
    considered: int
    decided_at: datetime


class ExecutionView(ApiModel):
    arn: str
    state_machine: str
    started_at: datetime
    console_url: str | None = Field(description="the execution in the AWS console; null on the embedded stack")


class RefundView(ApiModel):
    refund_id: str
    amount: int
    currency: str
    reason: str
    status: str = Field(description="PENDING until Stripe answers; SUCCEEDED or FAILED (with failure_reason)")
    stripe_refund_id: str | None
    failure_reason: str | None
    created_at: datetime
    settled_at: datetime | None

    @classmethod
    def of(cls, e: LedgerEntry) -> RefundView:
        return cls(
            refund_id=e.refund_id,
            amount=e.amount,
            currency=e.currency,
            reason=e.reason.value,
            status=e.status.value,
            stripe_refund_id=e.stripe_refund_id,
            failure_reason=e.failure_reason,
            created_at=e.created_at,
            settled_at=e.settled_at,
        )


class CancellationView(ApiModel):
    at: datetime
    by: str
    reason: str
    lines: list[BackorderedView] = Field(description="The lines cancelled, with their quantities")
    shipments: list[str]
    whole: bool


class ExceptionView(ApiModel):
    """A typed exception: what went wrong, since when, and what a person can do about it."""

    type: str = Field(
        description="payment_hold, routing_hold, unfilled_remainder, fulfilment_failed, carrier_refused, "
        "refund_failed, return_failed, pickup_not_collected or stuck"
    )
    reason: str
    since: datetime
    subject: str | None = Field(description="The shipment or RMA it is about; null for the whole order")
    actions: list[str] = Field(description="What may be done about it, e.g. cancel, retry, close_return")
    resolved_at: datetime | None

    @classmethod
    def of(cls, e: OrderException) -> ExceptionView:
        return cls(
            type=e.type.value,
            reason=e.reason,
            since=e.since,
            subject=e.subject,
            actions=[a.value for a in e.actions],
            resolved_at=e.resolved_at,
        )


class OrderView(ApiModel):
    order_id: str
    channel: str
    external_id: str
    status: str
    currency: str
    customer: CustomerView
    ship_to: AddressView | None = Field(description="None for a pickup order captured without one")
    lines: list[LineView]
    totals: TotalsView
    delivery: DeliveryView
    payment: PaymentView
    exception_cause: str | None
    exceptions: list[ExceptionView] = Field(description="Open exceptions first, then resolved ones")
    confirmation_sent: bool
    created_at: datetime
    history: list[HistoryView]
    executions: list[ExecutionView]
    routing: RoutingView | None
    shipments: list[ShipmentView]
    cancellation: CancellationView | None
    returns: list[ReturnView]
    refunds: list[RefundView]

    @classmethod
    def of(cls, order: Order, link: Linker = None, refunds: list[LedgerEntry] | None = None) -> OrderView:
        totals = order.totals
        return cls(
            order_id=order.order_id,
            channel=order.channel,
            external_id=order.external_id,
            status=order.status.value,
            currency=order.currency,
            customer=CustomerView(**vars(order.customer)),
            ship_to=AddressView(**vars(order.ship_to)) if order.ship_to else None,
            lines=[LineView(**vars(line), amount=line.amount) for line in order.lines],
            totals=TotalsView(
                lines=totals.lines, shipping=totals.shipping, tax=totals.tax, grand_total=totals.grand_total
            ),
            delivery=DeliveryView(**vars(order.delivery)),
            payment=PaymentView(
                stripe_payment_intent=order.payment_intent,
                check=order.payment_check.value,
                hold_reason=order.hold_reason,
                hold_code=order.hold_code,
            ),
            exception_cause=order.exception_cause,
            exceptions=[ExceptionView.of(e) for e in sorted(order.exceptions, key=lambda e: not e.open)],
            confirmation_sent=order.confirmation_sent,
            created_at=order.created_at,
            history=[
                HistoryView(
                    at=h.at,
                    status=h.status.value,
                    event=h.event,
                    cause=h.cause,
                    actor=ActorView(kind=h.actor.kind, name=h.actor.name) if h.actor else None,
                )
                for h in order.history
            ],
            executions=[
                ExecutionView(
                    arn=e.arn,
                    state_machine=e.state_machine,
                    started_at=e.started_at,
                    console_url=console_url(e.arn),
                )
                for e in order.executions
            ],
            routing=_routing(order),
            shipments=[shipment_view(s, link) for s in order.shipments],
            cancellation=_cancellation(order),
            returns=[return_view(r, link) for r in order.returns],
            refunds=[RefundView.of(e) for e in refunds or []],
        )


def _label_view(label: Label | None, link: Linker) -> LabelView | None:
    if label is None:
        return None
    return LabelView(
        **{k: v for k, v in asdict(label).items() if k != "document_key"},
        download_url=link(label.document_key) if link else None,
    )


def return_view(r: Return, link: Linker = None) -> ReturnView:
    return ReturnView(
        rma_id=r.rma_id,
        node_id=r.node_id,
        reason=r.reason,
        status=r.status,
        outstanding=r.outstanding,
        lines=[ReturnLineView(**asdict(line)) for line in r.lines],
        label=_label_view(r.label, link),
        created_at=r.created_at,
        received_at=r.received_at,
        refund_id=r.refund_id,
    )


def shipment_view(s: Shipment, link: Linker = None) -> ShipmentView:
    label = _label_view(s.label, link)
    return ShipmentView(
        shipment_id=s.shipment_id,
        node_id=s.node_id,
        method=s.method,
        status=s.status.value,
        lines=[ShipmentLineView(**asdict(line)) for line in s.lines],
        parcel=ParcelIn(**asdict(s.parcel)) if s.parcel else None,
        label=label,
        rejected_reason=s.rejected_reason,
        delivery_exception=s.delivery_exception,
        last_event_at=s.last_event_at,
        documents={kind: link(key) for kind, key in s.documents.items()} if link else {},
        links=shipment_links(s.shipment_id, (*(["label"] if s.label else []), *s.documents)),
        replaces=s.replaces,
        repack_reason=s.repack_reason,
    )


def _cancellation(order: Order) -> CancellationView | None:
    c = order.cancellation
    if c is None:
        return None
    return CancellationView(
        at=c.at,
        by=c.by,
        reason=c.reason,
        lines=[BackorderedView(line_id=line_id, quantity=qty) for line_id, qty in c.lines],
        shipments=list(c.shipments),
        whole=c.whole,
    )


def _routing(order: Order) -> RoutingView | None:
    r = order.routing
    if r is None:
        return None
    return RoutingView(
        outcome=r.outcome,
        reason=r.reason,
        allocations=[AllocationView(**vars(a)) for a in r.allocations],
        backordered=[BackorderedView(line_id=line_id, quantity=qty) for line_id, qty in r.backordered],
        candidates=[
            CandidateView(node_ids=list(c.node_ids), score=c.score, fills=c.fills, note=c.note) for c in r.candidates
        ],
        considered=r.considered,
        decided_at=r.decided_at,
    )

"""The stored shape of an order (JSON), kept apart from the domain object and the API view."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.domain.exceptions import ExceptionType, OrderException
from shared.domain.order import (
    Address,
    Cancellation,
    Customer,
    Delivery,
    Execution,
    HistoryEntry,
    Line,
    Order,
    OrderStatus,
    PaymentCheck,
    Return,
    ReturnLine,
    ReturnReceipt,
    Routing,
)
from shared.domain.routing import Allocation, Candidate
from shared.domain.shipment import Shipment, ShipmentLine, ShipmentStatus
from shared.domain.shipping import Label, Parcel

SCHEMA_VERSION = 1


def to_document(order: Order) -> dict[str, Any]:
    return {
        "schema": SCHEMA_VERSION,
        "order_id": order.order_id,
        "channel": order.channel,
        "external_id": order.external_id,
        "currency": order.currency,
        "customer": vars(order.customer),
        "ship_to": vars(order.ship_to) if order.ship_to else None,
        "lines": [vars(line) for line in order.lines],
        "shipping_amount": order.shipping_amount,
        "tax_amount": order.tax_amount,
        "payment_intent": order.payment_intent,
        "delivery": vars(order.delivery),
        "created_at": order.created_at.isoformat(),
        "status": order.status.value,
        "payment_check": order.payment_check.value,
        "hold_reason": order.hold_reason,
        "hold_code": order.hold_code,
        "exception_cause": order.exception_cause,
        "confirmation_message_id": order.confirmation_message_id,
        "history": [
            {"at": h.at.isoformat(), "status": h.status.value, "event": h.event, "cause": h.cause}
            for h in order.history
        ],
        "executions": [
            {"arn": e.arn, "state_machine": e.state_machine, "started_at": e.started_at.isoformat()}
            for e in order.executions
        ],
        "priority": order.priority,
        "routing": _routing_doc(order.routing) if order.routing else None,
        "shipments": [_shipment_doc(s) for s in order.shipments],
        "captured_amount": order.captured_amount,
        "refund_emails": order.refund_emails,
        "emails": order.emails,
        "returns": [_return_doc(r) for r in order.returns],
        "cancellation": _cancellation_doc(order.cancellation) if order.cancellation else None,
        "exceptions": [_exception_doc(e) for e in order.exceptions],
    }


def _exception_doc(e: OrderException) -> dict[str, Any]:
    return {
        "type": e.type.value,
        "reason": e.reason,
        "since": e.since.isoformat(),
        "subject": e.subject,
        "resolved_at": e.resolved_at.isoformat() if e.resolved_at else None,
    }


def _exception(doc: dict[str, Any]) -> OrderException:
    return OrderException(
        type=ExceptionType(doc["type"]),
        reason=doc["reason"],
        since=datetime.fromisoformat(doc["since"]),
        subject=doc["subject"],
        resolved_at=datetime.fromisoformat(doc["resolved_at"]) if doc["resolved_at"] else None,
    )


def _cancellation_doc(c: Cancellation) -> dict[str, Any]:
    return {
        "at": c.at.isoformat(),
        "reason": c.reason,
        "by": c.by,
        "lines": [list(line) for line in c.lines],
        "shipments": list(c.shipments),
        "whole": c.whole,
        "restock": list(c.restock),
    }


def _return_doc(r: Return) -> dict[str, Any]:
    return {
        "rma_id": r.rma_id,
        "node_id": r.node_id,
        "reason": r.reason,
        "lines": [vars(line) for line in r.lines],
        "created_at": r.created_at.isoformat(),
        "status": r.status,
        "label": vars(r.label) if r.label else None,
        "token": r.token,
        "received_at": r.received_at.isoformat() if r.received_at else None,
        "refund_id": r.refund_id,
        "event_ids": r.event_ids,
        "receipts": [
            {
                "event_id": rc.event_id,
                "at": rc.at.isoformat(),
                "lines": [list(line) for line in rc.lines],
                "settled": rc.settled,
                "refund_id": rc.refund_id,
            }
            for rc in r.receipts
        ],
    }


def _return(doc: dict[str, Any]) -> Return:
    return Return(
        rma_id=doc["rma_id"],
        node_id=doc["node_id"],
        reason=doc["reason"],
        lines=tuple(ReturnLine(**line) for line in doc["lines"]),
        created_at=datetime.fromisoformat(doc["created_at"]),
        status=doc["status"],
        label=Label(**doc["label"]) if doc["label"] else None,
        token=doc["token"],
        received_at=datetime.fromisoformat(doc["received_at"]) if doc["received_at"] else None,
        refund_id=doc["refund_id"],
        event_ids=list(doc["event_ids"]),
        receipts=[
            ReturnReceipt(
                event_id=rc["event_id"],
                at=datetime.fromisoformat(rc["at"]),
                lines=tuple((line_id, good, bad) for line_id, good, bad in rc["lines"]),
                settled=rc["settled"],
                refund_id=rc["refund_id"],
            )
            for rc in doc.get("receipts", [])
        ],
    )


def _cancellation(doc: dict[str, Any]) -> Cancellation:
    return Cancellation(
        at=datetime.fromisoformat(doc["at"]),
        reason=doc["reason"],
        by=doc["by"],
        lines=tuple((line_id, qty) for line_id, qty in doc["lines"]),
        shipments=tuple(doc["shipments"]),
        whole=doc["whole"],
        restock=tuple(doc.get("restock", ())),
    )


def _shipment_doc(s: Shipment) -> dict[str, Any]:
    return {
        "shipment_id": s.shipment_id,
        "node_id": s.node_id,
        "method": s.method,
        "lines": [vars(line) for line in s.lines],
        "status": s.status.value,
        "parcel": vars(s.parcel) if s.parcel else None,
        "label": vars(s.label) if s.label else None,
        "rejected_reason": s.rejected_reason,
        "delivery_exception": s.delivery_exception,
        "last_event_at": s.last_event_at.isoformat() if s.last_event_at else None,
        "event_ids": s.event_ids,
        "event_digests": s.event_digests,
        "request_token": s.request_token,
        "delivery_token": s.delivery_token,
        "documents": s.documents,
        "emails": s.emails,
        "replaces": s.replaces,
        "repack_reason": s.repack_reason,
        "repacks": s.repacks,
    }


def _shipment(doc: dict[str, Any]) -> Shipment:
    return Shipment(
        shipment_id=doc["shipment_id"],
        node_id=doc["node_id"],
        method=doc["method"],
        lines=tuple(ShipmentLine(**line) for line in doc["lines"]),
        status=ShipmentStatus(doc["status"]),
        parcel=Parcel(**doc["parcel"]) if doc["parcel"] else None,
        label=Label(**doc["label"]) if doc["label"] else None,
        rejected_reason=doc["rejected_reason"],
        delivery_exception=doc["delivery_exception"],
        last_event_at=datetime.fromisoformat(doc["last_event_at"]) if doc["last_event_at"] else None,
        event_ids=list(doc["event_ids"]),
        event_digests=dict(doc.get("event_digests") or {}),
        request_token=doc["request_token"],
        delivery_token=doc["delivery_token"],
        documents=dict(doc["documents"]),
        emails=dict(doc["emails"]),
        replaces=doc["replaces"],
        repack_reason=doc.get("repack_reason"),
        repacks=doc.get("repacks", 0),
    )


def _routing_doc(routing: Routing) -> dict[str, Any]:
    return {
        "outcome": routing.outcome,
        "reason": routing.reason,
        "allocations": [vars(a) for a in routing.allocations],
        "backordered": [list(b) for b in routing.backordered],
        "candidates": [
            {"node_ids": list(c.node_ids), "score": c.score, "fills": c.fills, "note": c.note}
            for c in routing.candidates
        ],
        "considered": routing.considered,
        "decided_at": routing.decided_at.isoformat(),
    }


def _routing(doc: dict[str, Any]) -> Routing:
    return Routing(
        outcome=doc["outcome"],
        reason=doc["reason"],
        allocations=tuple(Allocation(**a) for a in doc["allocations"]),
        backordered=tuple((line_id, qty) for line_id, qty in doc["backordered"]),
        candidates=tuple(Candidate(tuple(c["node_ids"]), c["score"], c["fills"], c["note"]) for c in doc["candidates"]),
        considered=doc["considered"],
        decided_at=datetime.fromisoformat(doc["decided_at"]),
    )


def from_document(doc: dict[str, Any], version: int) -> Order:
    return Order(
        order_id=doc["order_id"],
        channel=doc["channel"],
        external_id=doc["external_id"],
        currency=doc["currency"],
        customer=Customer(**doc["customer"]),
        ship_to=Address(**doc["ship_to"]) if doc.get("ship_to") else None,
        lines=tuple(Line(**line) for line in doc["lines"]),
        shipping_amount=doc["shipping_amount"],
        tax_amount=doc["tax_amount"],
        payment_intent=doc["payment_intent"],
        delivery=Delivery(**doc["delivery"]),
        created_at=datetime.fromisoformat(doc["created_at"]),
        status=OrderStatus(doc["status"]),
        payment_check=PaymentCheck(doc["payment_check"]),
        hold_reason=doc["hold_reason"],
        hold_code=doc.get("hold_code"),
        exception_cause=doc["exception_cause"],
        confirmation_message_id=doc["confirmation_message_id"],
        history=[
            HistoryEntry(datetime.fromisoformat(h["at"]), OrderStatus(h["status"]), h["event"], h["cause"])
            for h in doc["history"]
        ],
        executions=[
            Execution(e["arn"], e["state_machine"], datetime.fromisoformat(e["started_at"])) for e in doc["executions"]
        ],
        version=version,
        priority=doc.get("priority", 100),
        routing=_routing(doc["routing"]) if doc.get("routing") else None,
        shipments=[_shipment(s) for s in doc.get("shipments", [])],
        captured_amount=doc.get("captured_amount", 0),
        refund_emails=dict(doc.get("refund_emails", {})),
        emails=dict(doc.get("emails", {})),
        returns=[_return(r) for r in doc.get("returns", [])],
        cancellation=_cancellation(doc["cancellation"]) if doc.get("cancellation") else None,
        exceptions=[_exception(e) for e in doc.get("exceptions", [])],
    )

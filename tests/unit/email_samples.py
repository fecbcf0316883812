"""Every customer email, as the real use cases produce its template data, for an order whose customer
has a hostile name and whose lines have product names (the unit and browser tests of the emails)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.adapters.ses_mailer import template_data
from shared.domain.order import Cancellation, Customer, Delivery, Order, Return, ReturnLine, place
from shared.domain.refund_ledger import LedgerEntry, RefundReason, RefundStatus
from shared.domain.routing import Node
from shared.domain.shipment import Shipment, ShipmentLine, ShipmentStatus
from shared.domain.shipping import Label
from shared.domain.values import Address, GeoPoint, PostalAddress
from shared.email.templates import TemplateParts, load
from shared.topology import EMAIL_TEMPLATES
from shared.usecases.notify import send_cancellation_email, send_return_email, send_shipment_email
from shared.usecases.refunds import send_refund_email
from shared.usecases.send_confirmation import send_confirmation
from tests.unit.fakes import FakeDocuments, FakeMailer, FixedClock, InMemoryLedger, InMemoryNodes, InMemoryOrders

HOSTILE = "<img src=x onerror=alert(1)>"
SHOP = "Lovelace & Co <Books>"
AT = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
STORE = Node(
    "store-soho",
    "store",
    GeoPoint(40.72, -74.0),
    ships=False,
    pickup=True,
    handling_cost=0,
    daily_capacity=None,
    name="Waybill Soho",
    address=PostalAddress("120 Prince St", "New York", "NY", "10012", "US"),
)
LABEL = Label(
    "sandbox", "ground", "1Z999AA10123456784", "https://track.example/1Z999AA10123456784", 900, "USD", "l.pdf"
)


def _order(order_id: str, method: str) -> Order:
    ship_to = Address(HOSTILE, "1 Main St", "Austin", "TX", "73301", "US") if method == "ship" else None
    order = place(
        order_id=order_id,
        channel="web",
        external_id=f"WEB-{order_id[-4:]}",
        currency="USD",
        customer=Customer("ada@example.com", HOSTILE, None),
        ship_to=ship_to,
        lines=[
            ("TSHIRT-M", 2, 1900, "Organic T-shirt, medium", "https://img.example/tshirt.png"),
            ("MUG", 1, 1200, None, None),
        ],
        shipping_amount=500,
        tax_amount=100,
        payment_intent="pi_1",
        delivery=Delivery(method, "standard", "store-soho" if method == "pickup" else None),
        at=AT,
    )
    order.captured_amount = order.totals.grand_total
    lines = tuple(ShipmentLine(line.line_id, line.sku, line.quantity) for line in order.lines)
    shipment = Shipment(f"{order_id}-S1", "dc-east" if method == "ship" else "store-soho", method, lines)
    shipment.status = ShipmentStatus.DELIVERY_EXCEPTION if method == "ship" else ShipmentStatus.READY_FOR_PICKUP
    shipment.label = LABEL if method == "ship" else None
    shipment.delivery_exception = "Nobody at home <b>twice</b>" if method == "ship" else None
    order.shipments.append(shipment)
    return order


def samples() -> dict[str, dict[str, Any]]:
    """Template name -> the data its email is sent with (shop name added as the mailer adds it)."""
    orders, mailer, clock, docs = InMemoryOrders(), FakeMailer(), FixedClock(), FakeDocuments()
    shipped, pickup = _order("ord_0001", "ship"), _order("ord_0002", "pickup")
    shipped.cancellation = Cancellation(AT, "changed mind", "channel:web", (("L2", 1),), (), whole=False)
    rma = f"{shipped.order_id}-R1"
    shipped.returns.append(Return(rma, "dc-east", "too small", (ReturnLine("L1", "TSHIRT-M", 1),), AT, label=LABEL))
    orders.add(shipped, "h1")
    orders.add(pickup, "h2")
    entry = LedgerEntry(
        "ref_1", shipped.order_id, "pi_1", 1200, "USD", RefundReason.CANCELLATION, "c1", "k1",
        RefundStatus.SUCCEEDED, "re_1", None, AT, AT,
    )  # fmt: skip
    oid, sid = shipped.order_id, f"{shipped.order_id}-S1"
    send_confirmation(oid, orders=orders, mailer=mailer, template="order_confirmation", clock=clock)
    for kind in ("shipped", "delivered", "delivery_exception"):
        template = {"shipped": "order_shipped", "delivered": "order_delivered"}.get(kind, kind)
        send_shipment_email(oid, sid, kind, orders=orders, mailer=mailer, template=template, clock=clock)
    send_shipment_email(
        pickup.order_id,
        f"{pickup.order_id}-S1",
        "ready_for_pickup",
        orders=orders,
        mailer=mailer,
        template="order_ready_for_pickup",
        clock=clock,
        nodes=InMemoryNodes(STORE),
    )
    ledger = InMemoryLedger([entry])
    send_refund_email(oid, "ref_1", orders=orders, ledger=ledger, mailer=mailer, template="refund_issued", clock=clock)
    send_cancellation_email(oid, orders=orders, mailer=mailer, template="order_cancelled", clock=clock)
    send_return_email(oid, rma, orders=orders, mailer=mailer, documents=docs, template="return_opened", clock=clock)
    sent = {template: template_data(SHOP, data) for template, _to, data in mailer.sent}
    assert set(sent) == {t.name for t in EMAIL_TEMPLATES}, "every template has a sample"
    return sent


def parts(name: str) -> TemplateParts:
    return load(name)

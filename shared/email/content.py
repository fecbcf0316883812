"""What customer emails say, as template data: items by the names customers know, money that adds up,
and no internal ids (shipment ids, node ids, carrier codes). All values are strings, because moto's
template renderer only takes strings; an absent value is "" so `{{#if}}` can test it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shared.domain.order import Line, Order
from shared.domain.routing import Node
from shared.domain.values import format_money as format_money  # amounts as Stripe counts them

# Carrier codes on labels, as a customer would read them.
CARRIER_NAMES = {"sandbox": "Waybill Sandbox Post"}
SERVICE_NAMES = {"ground": "Ground", "2day": "2-Day", "overnight": "Overnight"}


def item(line: Line, quantity: int, currency: str, *, priced: bool = False) -> dict[str, str]:
    return {
        "name": line.label,
        "sku": line.sku if line.name else "",  # beside the name; alone, the sku is the name
        "image_url": line.image_url or "",
        "quantity": str(quantity),
        "amount": format_money(line.unit_amount * quantity, currency) if priced else "",
    }


def items(order: Order, quantities: Iterable[tuple[str, int]], *, priced: bool = False) -> list[dict[str, str]]:
    """The order's lines named by (line_id, quantity), in that order."""
    by_id = {line.line_id: line for line in order.lines}
    return [item(by_id[line_id], qty, order.currency, priced=priced) for line_id, qty in quantities if line_id in by_id]


def greeting(order: Order) -> dict[str, str]:
    """What every email of an order carries (the shop's name is added by the mailer)."""
    return {"order_ref": order.external_id, "customer_name": order.customer.name}


def totals(order: Order) -> dict[str, str]:
    t, money = order.totals, order.currency
    return {
        "subtotal": format_money(t.lines, money),
        "shipping": format_money(t.shipping, money),
        "tax": format_money(t.tax, money) if t.tax else "",
        "grand_total": format_money(t.grand_total, money),
    }


def carrier_name(code: str) -> str:
    return CARRIER_NAMES.get(code, code.replace("_", " ").title())


def service_name(code: str) -> str:
    return SERVICE_NAMES.get(code, code.replace("_", " ").title())


def store(node: Node | None) -> dict[str, Any]:
    """Where a pickup customer goes: the store's name and postal address (one string: moto's renderer
    cannot loop over an empty list)."""
    lines = node.address.lines() if node and node.address else []
    return {
        "store_name": node.name if node and node.name else "our store",
        "store_address": ", ".join(lines) or "ask in store for your order reference",
    }

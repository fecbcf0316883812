"""Printable HTML for a shipment's pick list (the warehouse picks from it) and packing slip (goes in the
box). Every value is escaped: names and addresses come from customers."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from shared.domain.values import Address

# (line_id, sku, quantity, product name as the channel sent it, or None)
Lines = Sequence[tuple[str, str, int, str | None]]

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
  body {{ font-family: Helvetica, Arial, sans-serif; margin: 2em; color: #000; }}
  h1 {{ font-size: 1.4em; margin: 0 0 .5em; }}
  dl {{ display: grid; grid-template-columns: max-content auto; gap: .2em 1em; margin: 0 0 1.5em; }}
  dt {{ font-weight: bold; }}
  dd {{ margin: 0; }}
  address {{ font-style: normal; margin: 0 0 1.5em; }}
  table {{ border-collapse: collapse; width: 100%; }}
  th, td {{ border: 1px solid #000; padding: .4em .6em; text-align: left; }}
  td.qty, th.qty {{ text-align: right; }}
  td.check {{ width: 2.5em; }}
  .box {{ display: inline-block; width: 1em; height: 1em; border: 1px solid #000; }}
  @media print {{ body {{ margin: 0; }} @page {{ margin: 1.5cm; }} }}
</style>
</head>
<body>
<h1>{title}</h1>
{body}
</body>
</html>
"""


def _facts(pairs: Sequence[tuple[str, str]]) -> str:
    items = "".join(f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>" for label, value in pairs)
    return f"<dl>{items}</dl>"


def _address(to: Address) -> str:
    rows = [to.name, to.line1, to.line2 or "", f"{to.city} {to.region} {to.postal_code}", to.country]
    return "<address>" + "<br>".join(escape(row) for row in rows if row.strip()) + "</address>"


def pick_list_html(order_ref: str, shipment_id: str, node_id: str, lines: Lines) -> str:
    rows = "".join(
        f'<tr><td class="check"><span class="box"></span></td><td>{escape(line_id)}</td>'
        f'<td>{escape(sku)}</td><td>{escape(name or "")}</td><td class="qty">{int(quantity)}</td></tr>'
        for line_id, sku, quantity, name in lines
    )
    table = (
        "<table><thead><tr><th>Picked</th><th>Line</th><th>SKU</th><th>Product</th>"
        '<th class="qty">Quantity</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )
    facts = _facts([("Node", node_id), ("Shipment", shipment_id), ("Order", order_ref)])
    return _PAGE.format(title=escape(f"Pick list {shipment_id}"), body=facts + table)


def packing_slip_html(
    order_ref: str, shipment_id: str, customer_name: str, ship_to: Address | None, lines: Lines
) -> str:
    """`ship_to` None: a pickup order, collected by the customer named on the slip."""
    rows = "".join(
        f'<tr><td>{escape(name or sku)}</td><td>{escape(sku)}</td><td class="qty">{int(quantity)}</td></tr>'
        for _line_id, sku, quantity, name in lines
    )
    table = (
        '<table><thead><tr><th>Item</th><th>SKU</th><th class="qty">Quantity</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )
    facts = _facts([("Customer", customer_name), ("Order", order_ref), ("Shipment", shipment_id)])
    where = f"<h2>Ship to</h2>{_address(ship_to)}" if ship_to else "<h2>Collected in store</h2>"
    body = f"{facts}{where}{table}<p>Thank you for your order.</p>"
    return _PAGE.format(title=escape(f"Packing slip {order_ref}"), body=body)

"""A shipment's printable HTML: its pick list (the warehouse picks from it) and its packing slip (goes
in the box), one document with each on a page of its own, so a shipment stores one object, not two.
Every value is escaped: names and addresses come from customers."""

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
  section + section {{ break-before: page; }}
  @media screen {{ section + section {{ border-top: 2px dashed #000; margin-top: 3em; padding-top: 2em; }} }}
  @media print {{ body {{ margin: 0; }} @page {{ margin: 1.5cm; }} }}
</style>
</head>
<body>
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


def shipment_slips_html(
    order_ref: str, shipment_id: str, node_id: str, customer_name: str, ship_to: Address | None, lines: Lines
) -> str:
    """The pick list on the first page, the packing slip on the next (`#pick-list`, `#packing-slip`)."""
    body = _pick_list(order_ref, shipment_id, node_id, lines) + _packing_slip(
        order_ref, shipment_id, customer_name, ship_to, lines
    )
    return _PAGE.format(title=escape(f"Pick list and packing slip {shipment_id}"), body=body)


def _section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{anchor}">\n<h1>{escape(title)}</h1>\n{body}\n</section>\n'


def _pick_list(order_ref: str, shipment_id: str, node_id: str, lines: Lines) -> str:
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
    return _section("pick-list", f"Pick list {shipment_id}", facts + table)


def _packing_slip(order_ref: str, shipment_id: str, customer_name: str, ship_to: Address | None, lines: Lines) -> str:
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
    return _section("packing-slip", f"Packing slip {order_ref}", body)

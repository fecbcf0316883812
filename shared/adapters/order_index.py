"""What keeps the orders table's search indexes (shared/usecases/search_orders.py): attributes on
the order item, and one small item per SKU and per node of the order.

SKU items are written with the order (its lines never change). Node items are written when the
order first names a node (routing, a shipment, a re-route), before the order itself is saved, so an
order is never at a node without its entry; an entry whose order has since moved elsewhere stays,
and search checks every filter on the order itself.
"""

from __future__ import annotations

from typing import Any

from shared.adapters.dynamodb_items import to_item
from shared.domain.order import Order
from shared.usecases.search_orders import created_key, node_ids

__all__ = ["created_key", "new_nodes", "node_entries", "node_ids", "order_attributes", "sku_entries"]


def order_attributes(order: Order) -> dict[str, Any]:
    """The order item's index attributes besides status, channel and created_at."""
    return to_item({"channel_status": f"{order.channel}#{order.status.value}"})


def _entry(order: Order, sk: str) -> dict[str, Any]:
    return to_item({"pk": f"ORDER#{order.order_id}", "sk": sk, "created_at": created_key(order.created_at)})


def sku_entries(order: Order) -> list[dict[str, Any]]:
    return [_entry(order, f"SKU#{sku}") for sku in dict.fromkeys(line.sku for line in order.lines)]


def node_entries(order: Order, nodes: list[str]) -> list[dict[str, Any]]:
    return [_entry(order, f"NODE#{node}") for node in nodes]


def new_nodes(order: Order, known: frozenset[str] | None) -> list[str]:
    """The order's nodes that have no entry yet; every one of them when what is stored is unknown."""
    return [n for n in node_ids(order) if known is None or n not in known]

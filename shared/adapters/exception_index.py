"""What files an order item in the orders table's sparse `exceptions` index (the exception queue).

An order item carries `queue_type` (the type of its oldest open exception) and `queue_at` (since
when, then its id) only while it has an open exception; every save writes the whole item, so an
order whose exceptions are resolved drops out of the index by itself. A partition is one type.
The index also copies the item's `channel` and `queue_nodes` (the nodes the order was routed to or
shipped from), so the queue's counts honour its channel and node filters from the index alone.
"""

from __future__ import annotations

from typing import Any

from shared.domain.ops import filed_under, nodes_of
from shared.domain.order import Order
from shared.usecases.exception_queue import position

INDEX = "exceptions"
TYPE_ATTRIBUTE = "queue_type"
POSITION_ATTRIBUTE = "queue_at"
NODES_ATTRIBUTE = "queue_nodes"
CHANNEL_ATTRIBUTE = "channel"  # the order item's own, copied into the index


def queue_attributes(order: Order) -> dict[str, Any]:
    """The order item's attributes that file it in the index; none when it needs nobody."""
    head = filed_under(order)
    if head is None:
        return {}
    found: dict[str, Any] = {
        TYPE_ATTRIBUTE: {"S": head.type.value},
        POSITION_ATTRIBUTE: {"S": position(head.since, order.order_id)},
    }
    nodes = nodes_of(order)
    if nodes:  # DynamoDB has no empty sets
        found[NODES_ATTRIBUTE] = {"SS": list(nodes)}
    return found

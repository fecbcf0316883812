"""The stored order document: derived from the domain types, read back to the same order."""

from __future__ import annotations

import json

from shared.adapters.order_codec import SCHEMA_VERSION, from_document, to_document
from shared.domain.order import OrderStatus
from shared.domain.routing import Policy
from tests.unit.test_stock_usecases import World, delivered, refund_return, returned


def rich_orders() -> list:  # type: ignore[type-arg]
    world = World()
    returned_order = delivered(world, captured=2500)
    refund_return(world, returned(world, returned_order, resellable=1, damaged=0))
    world.policies.put("web", Policy(allow_split=True))
    world.shelf.put("SKU-1", "dc-east", 5)
    world.shelf.put("SKU-2", "dc-west", 5)
    split = world.order(("SKU-1", 2), ("SKU-2", 1))
    world.reserve(split)
    east = next(s for s in world.release(split) if world.orders.get(split).shipment(s).node_id == "dc-east")  # type: ignore[union-attr]
    world.ship(split, east)
    world.cancel(split)
    return [world.orders.get(returned_order), world.orders.get(split)]


def test_an_order_survives_its_document_whole() -> None:
    orders = rich_orders()
    assert [o.status for o in orders] == [OrderStatus.DELIVERED, OrderStatus.SHIPPED]
    for order in orders:
        doc = json.loads(json.dumps(to_document(order)))  # as stored: JSON text
        assert doc["schema"] == SCHEMA_VERSION
        assert "version" not in doc  # kept beside the document, as the optimistic lock
        back = from_document(doc, order.version)
        assert back == order
        assert back.cancellation == order.cancellation
        assert back.returns == order.returns
        assert back.shipments[0].label == order.shipments[0].label


def test_a_document_written_before_later_fields_existed_reads_with_their_defaults() -> None:
    order = rich_orders()[0]
    doc = to_document(order)
    for later in ("priority", "routing", "shipments", "captured_amount", "refund_emails", "returns", "cancellation"):
        del doc[later]
    back = from_document(json.loads(json.dumps(doc)), 3)
    assert (back.priority, back.routing, back.shipments, back.captured_amount) == (100, None, [], 0)
    assert (back.refund_emails, back.returns, back.cancellation, back.version) == ({}, [], None, 3)
    assert back.history == order.history

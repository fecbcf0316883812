"""What routing an order reads grows with its lines, not with the network: the node directory is
cached per environment, stock is read once per decision, reorder checks read only the pairs the
order changed, and capacity only for the nodes routing picks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.stub import Stubber

from shared.adapters.cached_nodes import CachedNodes
from shared.adapters.dynamodb_inventory import DynamoDBInventory
from shared.domain.inventory import StockLevel
from shared.domain.order import Customer, Delivery, PaymentCheck, place
from shared.domain.routing import Node, Policy, RoutingLine, RoutingRequest
from shared.domain.values import Address, GeoPoint
from shared.usecases.capacity_routing import route_within_capacity
from shared.usecases.reserve_order import reserve_order
from tests.unit.fakes import (
    FixedClock,
    InMemoryCapacity,
    InMemoryInventory,
    InMemoryNodes,
    InMemoryOrders,
    InMemoryPolicies,
    Shelf,
)

DAY = "2026-11-22"
NEAR = Node("near", "warehouse", GeoPoint(30.3, -97.7), True, False, 100, 10)
MID = Node("mid", "warehouse", GeoPoint(32.8, -96.8), True, False, 100, 10)
FAR = Node("far", "warehouse", GeoPoint(40.7, -74.0), True, False, 100, None)
REQUEST = RoutingRequest((RoutingLine("L1", "SKU", 1),), "ship", None, GeoPoint(30.27, -97.74), "standard")
STOCK = {("SKU", n.node_id): 5 for n in (NEAR, MID, FAR)}
NEAREST = Policy(strategy="distance", allow_split=False)


def capacity_reads(shelf: Shelf) -> list[tuple[Any, ...]]:
    return [nodes for what, nodes in shelf.reads if what == "capacity_used"]


def test_capacity_is_read_only_for_the_node_routing_picks() -> None:
    shelf = Shelf()
    decision = route_within_capacity(REQUEST, [NEAR, MID, FAR], STOCK, NEAREST, DAY, InMemoryCapacity(shelf), {})
    assert decision.node_ids == ("near",)
    assert capacity_reads(shelf) == [("near",)]


def test_a_full_pick_is_read_and_routed_around_and_nothing_is_read_twice() -> None:
    shelf = Shelf()
    shelf.capacity[("near", DAY)] = 10  # full today
    known: dict[str, int] = {}
    decision = route_within_capacity(REQUEST, [NEAR, MID, FAR], STOCK, NEAREST, DAY, InMemoryCapacity(shelf), known)
    assert decision.node_ids == ("mid",)
    assert capacity_reads(shelf) == [("near",), ("mid",)]
    again = route_within_capacity(REQUEST, [NEAR, MID, FAR], STOCK, NEAREST, DAY, InMemoryCapacity(shelf), known)
    assert again.node_ids == ("mid",)
    assert len(capacity_reads(shelf)) == 2  # what a retry already knows is not read again


def test_when_every_pass_meets_a_full_node_the_rest_is_read_at_once() -> None:
    nodes = [Node(f"n{i}", "warehouse", GeoPoint(30.3 + i, -97.7), True, False, 100, 1) for i in range(6)]
    shelf = Shelf()
    for node in nodes[:5]:
        shelf.capacity[(node.node_id, DAY)] = 1
    stock = {("SKU", n.node_id): 5 for n in nodes}
    decision = route_within_capacity(REQUEST, nodes, stock, NEAREST, DAY, InMemoryCapacity(shelf), {})
    assert decision.node_ids == ("n5",)
    reads = capacity_reads(shelf)
    assert reads[:3] == [("n0",), ("n1",), ("n2",)]
    assert reads[3] == ("n3", "n4", "n5")


def test_the_directory_is_read_once_per_ttl_and_a_put_here_is_seen_at_once() -> None:
    class Counting(InMemoryNodes):
        reads = 0

        def all(self, *, fresh: bool = False) -> list[Node]:
            Counting.reads += 1
            return super().all()

    now = [0.0]
    directory = Counting(NEAR)
    cached = CachedNodes(directory, ttl_s=30, now=lambda: now[0])
    assert [n.node_id for n in cached.all()] == ["near"]
    now[0] = 29.0
    cached.all()
    assert Counting.reads == 1
    directory.put(FAR)  # another environment's change: seen once the copy is older than the TTL
    assert [n.node_id for n in cached.all()] == ["near"]
    now[0] = 30.0
    assert [n.node_id for n in cached.all()] == ["near", "far"]
    cached.put(MID)
    assert "mid" in [n.node_id for n in cached.all()]
    assert Counting.reads == 3


def test_reserving_reads_stock_once_and_checks_reorders_without_reading_again() -> None:
    inventory = InMemoryInventory()
    for node in (NEAR, MID, FAR):
        # SKU falls below its reorder point (4) only once this order's 2 units are reserved
        inventory.shelf.stock[("SKU", node.node_id)] = StockLevel("SKU", node.node_id, 5, reorder_point=4)
        inventory.shelf.put("OTHER", node.node_id, 5)
    orders, clock = InMemoryOrders(), FixedClock()
    order = place(
        order_id="ord_1",
        channel="web",
        external_id="W-1",
        currency="USD",
        customer=Customer("ada@example.com", "Ada"),
        ship_to=Address("Ada", "1 Main", "Austin", "TX", "73301", "US", lat=30.27, lon=-97.74),
        lines=[("SKU", 2, 1000), ("OTHER", 1, 500)],
        shipping_amount=0,
        tax_amount=0,
        payment_intent="pi_1",
        delivery=Delivery("ship", "standard"),
        at=datetime(2026, 11, 22, 9, tzinfo=UTC),
    )
    order.payment_check = PaymentCheck.VERIFIED
    orders.add(order, "h")
    outcome = reserve_order(
        "ord_1",
        orders=orders,
        inventory=inventory,
        nodes=InMemoryNodes(NEAR, MID, FAR),
        policies=InMemoryPolicies(),
        clock=clock,
    )
    assert outcome.outcome == "allocated"
    [chosen] = outcome.nodes
    reads = inventory.shelf.reads
    assert [r for r in reads if r[0] == "stock_for"] == [("stock_for", ("OTHER", "SKU"))]
    assert [r[0] for r in reads] == ["stock_for", "capacity_used"]
    # the reorder check saw the level after this order's reservation (5 on hand, 2 now reserved)
    [suggested] = inventory.reorder_suggestions(10).items
    assert (suggested["sku"], suggested["node_id"], suggested["available"]) == ("SKU", chosen, 3)


def test_batch_reads_ask_again_for_what_dynamodb_left_unprocessed() -> None:
    db = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    keys = [
        {"pk": {"S": "CAP#a"}, "sk": {"S": f"DAY#{DAY}"}},
        {"pk": {"S": "CAP#b"}, "sk": {"S": f"DAY#{DAY}"}},
    ]
    item_a = {**keys[0], "used": {"N": "3"}}
    item_b = {**keys[1], "used": {"N": "7"}}
    with Stubber(db) as stub:
        stub.add_response(
            "batch_get_item",
            {"Responses": {"inv": [item_a]}, "UnprocessedKeys": {"inv": {"Keys": [keys[1]]}}},
            {"RequestItems": {"inv": {"Keys": keys, "ConsistentRead": True}}},
        )
        stub.add_response(
            "batch_get_item",
            {"Responses": {"inv": [item_b]}, "UnprocessedKeys": {}},
            {"RequestItems": {"inv": {"Keys": [keys[1]], "ConsistentRead": True}}},
        )
        assert DynamoDBInventory(db, "inv").capacity_used(["b", "a"], DAY) == {"a": 3, "b": 7}
        stub.assert_no_pending_responses()


def _order_at(orders: InMemoryOrders, order_id: str) -> None:
    order = place(
        order_id=order_id,
        channel="web",
        external_id=f"W-{order_id}",
        currency="USD",
        customer=Customer("ada@example.com", "Ada"),
        ship_to=Address("Ada", "1 Main", "Austin", "TX", "73301", "US", lat=30.27, lon=-97.74),
        lines=[("SKU", 2, 1000)],
        shipping_amount=0,
        tax_amount=0,
        payment_intent="pi_1",
        delivery=Delivery("ship", "standard"),
        at=datetime(2026, 11, 22, 9, tzinfo=UTC),
    )
    order.payment_check = PaymentCheck.VERIFIED
    orders.add(order, order_id)


def test_a_node_added_after_the_copy_was_kept_is_routed_to_at_once() -> None:
    # The integrated run's backorders: a node and its stock created just before an order, in an
    # environment whose copy of the directory predates the node.
    directory, inventory, orders = InMemoryNodes(), InMemoryInventory(), InMemoryOrders()
    cached = CachedNodes(directory, ttl_s=30, now=lambda: 0.0)
    assert cached.all() == []
    directory.put(NEAR)
    inventory.shelf.put("SKU", "near", 5)
    _order_at(orders, "ord_new")
    outcome = reserve_order(
        "ord_new", orders=orders, inventory=inventory, nodes=cached, policies=InMemoryPolicies(), clock=FixedClock()
    )
    assert (outcome.outcome, outcome.nodes) == ("allocated", ("near",))
    assert [n.node_id for n in cached.all()] == ["near"]  # the refreshed copy is kept


def test_an_order_the_directory_cannot_serve_reads_it_once_more_not_once_per_attempt() -> None:
    class Counting(InMemoryNodes):
        fresh_reads = 0

        def all(self, *, fresh: bool = False) -> list[Node]:
            Counting.fresh_reads += fresh
            return super().all()

    inventory, orders = InMemoryInventory(), InMemoryOrders()
    directory = Counting(NEAR)
    _order_at(orders, "ord_none")  # no stock anywhere: a backorder, whatever the directory says
    outcome = reserve_order(
        "ord_none", orders=orders, inventory=inventory, nodes=directory, policies=InMemoryPolicies(), clock=FixedClock()
    )
    assert outcome.outcome == "backorder"
    assert Counting.fresh_reads == 1

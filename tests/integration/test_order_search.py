"""Order search on moto's DynamoDB with the indexes provisioned from the topology: every search is
one Query on the expected partition of the expected index (then a BatchGetItem of its orders),
never a Scan; node entries follow routing; pages cover every order exactly once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.adapters.dynamodb_order_search import DynamoDBOrderSearch
from shared.adapters.dynamodb_orders import DynamoDBOrders
from shared.domain.order import Customer, Delivery, Order, OrderStatus, place
from shared.domain.routing import Allocation, RoutingDecision
from shared.domain.values import Address
from shared.usecases.search_orders import OrderFilter, search_orders


class Calls:
    """Every DynamoDB call the search client makes: (operation, parameters)."""

    def __init__(self, client: Any) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []
        client.meta.events.register("provide-client-params.dynamodb.*", self._record)

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.seen.append((model.name, params))

    def operations(self) -> list[str]:
        return [name for name, _ in self.seen]


@pytest.fixture
def run() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture
def stores(aws, resources) -> tuple[DynamoDBOrders, DynamoDBOrderSearch, Calls]:
    search_client = aws("dynamodb")
    calls = Calls(search_client)
    table = resources.tables["orders"]
    return DynamoDBOrders(aws("dynamodb"), table), DynamoDBOrderSearch(search_client, table), calls


def _order(run: str, n: int, channel: str, sku: str, at: datetime, pickup: str | None = None) -> Order:
    return place(
        order_id=f"ord_{run}{n:03d}",
        channel=channel,
        external_id=f"S-{run}-{n}",
        currency="USD",
        customer=Customer("ada@example.com", "Ada"),
        ship_to=Address("Ada", "1 Main St", "Austin", "TX", "73301", "US"),
        lines=[(sku, 1, 500), ("COMMON", 1, 100)],
        shipping_amount=0,
        tax_amount=0,
        payment_intent=f"pi_{run}{n}",
        delivery=Delivery("pickup", "standard", pickup) if pickup else Delivery("ship", "standard"),
        at=at,
    )


def _pages(search: DynamoDBOrderSearch, f: OrderFilter, limit: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = search_orders(f, limit, cursor, index=search)
        pages.append([o.order_id for o in page.orders])
        if page.next is None:
            return pages
        cursor = page.next


def test_each_filter_queries_only_its_partition_and_never_scans(stores, run):
    orders, search, calls = stores
    at = datetime(2031, 1, 1, tzinfo=UTC) + timedelta(days=int(run[:4], 16) % 3000)
    mine, theirs, sku = f"web-{run}", f"pos-{run}", f"SKU-{run}"
    for n in range(4):
        orders.add(_order(run, n, mine if n % 2 else theirs, sku, at + timedelta(minutes=n)), f"h{n}")
    held = orders.get(f"ord_{run}001")
    assert held is not None
    held.hold_for_payment("underpaid", at)
    orders.save(held)

    received = [f"ord_{run}00{n}" for n in (3, 2, 0)]
    cases = [
        (OrderFilter(channel=mine), "by_channel", mine, [f"ord_{run}003", f"ord_{run}001"]),
        (
            OrderFilter(channel=mine, status=OrderStatus.ON_HOLD),
            "by_channel_status",
            f"{mine}#ON_HOLD",
            [held.order_id],
        ),
        (OrderFilter(sku=sku, status=OrderStatus.RECEIVED), "by_kind", f"SKU#{sku}", received),
        (
            OrderFilter(created_from=at, created_to=at + timedelta(minutes=2)),
            "by_kind",
            "ORDER",
            [f"ord_{run}001", f"ord_{run}000"],
        ),
    ]
    for f, index, partition, expected in cases:
        calls.seen.clear()
        page = search_orders(f, 50, None, index=search)
        assert [o.order_id for o in page.orders] == expected, f
        assert calls.operations() == ["Query", "BatchGetItem"], f
        query = calls.seen[0][1]
        assert query["IndexName"] == index
        assert query["ExpressionAttributeValues"][":p"] == {"S": partition}
    # status alone: the status partition, whoever else has orders in it
    calls.seen.clear()
    on_hold = search_orders(OrderFilter(status=OrderStatus.ON_HOLD, created_from=at), 200, None, index=search)
    assert held.order_id in [o.order_id for o in on_hold.orders]
    assert calls.seen[0][1]["IndexName"] == "by_status"
    assert "Scan" not in calls.operations()


def test_node_entries_follow_the_order_to_its_nodes(stores, run):
    orders, search, _ = stores
    at = datetime(2030, 6, 1, tzinfo=UTC)
    store, dc = f"store-{run}", f"dc-{run}"
    pickup = _order(run, 1, f"web-{run}", "MUG", at, pickup=store)
    shipped = _order(run, 2, f"web-{run}", "MUG", at + timedelta(seconds=1))
    orders.add(pickup, "h1")
    orders.add(shipped, "h2")
    assert [o.order_id for o in search_orders(OrderFilter(node_id=store), 50, None, index=search).orders] == [
        pickup.order_id
    ]
    assert search_orders(OrderFilter(node_id=dc), 50, None, index=search).orders == []

    routed = orders.get(shipped.order_id)
    assert routed is not None
    allocations = tuple(Allocation(dc, line.line_id, line.sku, line.quantity) for line in routed.lines)
    routed.apply_routing(RoutingDecision("allocated", allocations, (), (), 1, "one node fills it"), 100, at)
    orders.save(routed)
    found = search_orders(OrderFilter(node_id=dc), 50, None, index=search).orders
    assert [(o.order_id, o.status) for o in found] == [(shipped.order_id, OrderStatus.RESERVED)]


def test_pages_cover_every_order_exactly_once(stores, run):
    orders, search, _ = stores
    at = datetime(2029, 3, 1, tzinfo=UTC)
    channel = f"bulk-{run}"
    for n in range(23):
        # pairs created at the same instant: the table key orders them within the index
        orders.add(_order(run, n, channel, "MUG", at + timedelta(seconds=n // 2)), f"h{n}")
    pages = _pages(search, OrderFilter(channel=channel), 5)
    flat = [i for p in pages for i in p]
    assert len(flat) == len(set(flat)) == 23
    assert [len(p) for p in pages[:4]] == [5, 5, 5, 5]

"""Order search: the index each filter is served by, cursor pages, and checks on the order itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import TypeAdapter, ValidationError

from shared.domain.order import Customer, Delivery, Order, OrderStatus, place
from shared.domain.principal import Principal
from shared.domain.values import Address
from shared.schemas.order_search import IsoTime
from shared.topology import Kind
from shared.usecases.search_orders import (
    BY_CHANNEL,
    BY_CHANNEL_STATUS,
    BY_KIND,
    BY_STATUS,
    ChannelNotYours,
    InvalidCursor,
    OrderFilter,
    plan,
    scoped,
    search_orders,
)
from tests.unit.fakes_ops_reads import InMemoryOrderIndex

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _order(n: int, channel: str = "web", sku: str = "MUG", at: datetime | None = None) -> Order:
    return place(
        order_id=f"ord_{n:04d}",
        channel=channel,
        external_id=f"X-{n}",
        currency="USD",
        customer=Customer("a@example.com", "Ann"),
        ship_to=Address("Ann", "1 Main", "Austin", "TX", "73301", "US"),
        lines=[(sku, 1, 500)],
        shipping_amount=0,
        tax_amount=0,
        payment_intent=f"pi_{n}",
        delivery=Delivery("ship", "standard"),
        at=at or T0 + timedelta(minutes=n),
    )


def _all_pages(index: InMemoryOrderIndex, f: OrderFilter, limit: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = search_orders(f, limit, cursor, index=index)
        pages.append([o.order_id for o in page.orders])
        if page.next is None:
            return pages
        cursor = page.next


@pytest.mark.parametrize(
    ("f", "index", "partition"),
    [
        (OrderFilter(), BY_KIND, "ORDER"),
        (OrderFilter(status=OrderStatus.EXCEPTION), BY_STATUS, "EXCEPTION"),
        (OrderFilter(channel="pos"), BY_CHANNEL, "pos"),
        (OrderFilter(channel="pos", status=OrderStatus.ON_HOLD), BY_CHANNEL_STATUS, "pos#ON_HOLD"),
        (OrderFilter(sku="MUG", status=OrderStatus.ON_HOLD), BY_KIND, "SKU#MUG"),
        (OrderFilter(node_id="dc-east", channel="web"), BY_KIND, "NODE#dc-east"),
        (OrderFilter(sku="MUG", node_id="dc-east"), BY_KIND, "SKU#MUG"),
    ],
)
def test_each_filter_is_a_key_of_one_index_partition(f, index, partition):
    q = plan(f)
    assert (q.index, q.partition) == (index, partition)


def test_dates_are_the_range_of_the_index_sort_key():
    q = plan(OrderFilter(created_from=T0, created_to=T0 + timedelta(days=1)))
    assert (q.created_from, q.created_to) == (T0.isoformat(), (T0 + timedelta(days=1)).isoformat())


def test_pages_return_every_order_exactly_once_newest_first():
    index = InMemoryOrderIndex()
    orders = [_order(n) for n in range(23)]
    for o in orders:
        index.index(o)
    pages = _all_pages(index, OrderFilter(), 5)
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    flat = [i for p in pages for i in p]
    assert flat == [o.order_id for o in reversed(orders)]


def test_orders_created_at_the_same_instant_are_each_listed_once():
    index = InMemoryOrderIndex()
    for n in range(7):
        index.index(_order(n, at=T0))
    flat = [i for p in _all_pages(index, OrderFilter(), 2) for i in p]
    assert sorted(flat) == [f"ord_{n:04d}" for n in range(7)]


def test_only_the_filtered_partition_is_read_and_other_channels_never_show():
    index = InMemoryOrderIndex()
    for n in range(6):
        index.index(_order(n, channel="web" if n % 2 else "pos"))
    page = search_orders(OrderFilter(channel="pos"), 50, None, index=index)
    assert {o.channel for o in page.orders} == {"pos"}
    assert len(page.orders) == 3
    assert [(q.index, q.partition) for q in index.queries] == [(BY_CHANNEL, "pos")]


def test_a_stale_index_entry_is_checked_on_the_order_and_left_out():
    index = InMemoryOrderIndex()
    order = _order(1)
    index.index(order)  # filed under RECEIVED
    order.hold_for_payment("underpaid", T0)
    index.orders[order.order_id] = order  # the order moved on; its old entry is still there
    index.index(order)
    received = search_orders(OrderFilter(status=OrderStatus.RECEIVED), 50, None, index=index)
    held = search_orders(OrderFilter(status=OrderStatus.ON_HOLD), 50, None, index=index)
    assert received.orders == []
    assert [o.order_id for o in held.orders] == [order.order_id]


def test_created_to_is_exclusive_and_created_from_inclusive():
    index = InMemoryOrderIndex()
    for n in range(5):
        index.index(_order(n))
    f = OrderFilter(created_from=T0 + timedelta(minutes=1), created_to=T0 + timedelta(minutes=3))
    page = search_orders(f, 50, None, index=index)
    assert [o.order_id for o in page.orders] == ["ord_0002", "ord_0001"]


@pytest.mark.parametrize("garbage", ["x", "not base64 !!", "eyJhIjogMX0", "W10"])
def test_a_cursor_that_was_not_given_out_is_refused(garbage):
    with pytest.raises(InvalidCursor):
        search_orders(OrderFilter(), 5, garbage, index=InMemoryOrderIndex())


def test_a_cursor_is_good_only_for_the_filters_it_was_given_out_for():
    index = InMemoryOrderIndex()
    for n in range(4):
        index.index(_order(n))
    first = search_orders(OrderFilter(), 2, None, index=index)
    assert first.next is not None
    with pytest.raises(InvalidCursor, match="other filters"):
        search_orders(OrderFilter(status=OrderStatus.RECEIVED), 2, first.next, index=index)


def test_a_channel_key_always_searches_its_own_channel():
    web = Principal("p1", Kind.CHANNEL, "web")
    assert scoped(OrderFilter(sku="MUG"), web) == OrderFilter(sku="MUG", channel="web")
    assert scoped(OrderFilter(channel="web"), web) == OrderFilter(channel="web")
    with pytest.raises(ChannelNotYours):
        scoped(OrderFilter(channel="pos"), web)
    ops = Principal("p2", Kind.OPS, "ops")
    assert scoped(OrderFilter(channel="pos"), ops) == OrderFilter(channel="pos")


@pytest.mark.parametrize("text", ["0.5", "1700000000", "2026-12-01T00:00:00", "yesterday"])
def test_search_dates_are_iso_8601_text_with_a_timezone(text):
    with pytest.raises(ValidationError):
        TypeAdapter(IsoTime).validate_python(text)
    assert TypeAdapter(IsoTime).validate_python("2026-12-01T00:00:00Z") == datetime(2026, 12, 1, tzinfo=UTC)

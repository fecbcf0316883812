"""Order search: which secondary index answers a filter, and one page of what it finds.

Every search is a Query on one partition of one index of the orders table, newest first, with the
creation dates as a range on the index's sort key; never a scan (docs/operations.md has the plan of
each filter). The index holds keys only: the page's orders are read by key, and every filter is then
checked on the order itself, so an index entry that lags behind its order (a status that changed
since, a node the order was moved away from) is never answered.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import asdict, replace
from datetime import datetime
from typing import Protocol

from shared.domain.errors import DomainError
from shared.domain.order import Order, OrderStatus
from shared.domain.principal import Principal
from shared.records import record
from shared.topology import Kind

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


# The orders table's secondary indexes (shared/topology.py declares them, these name them).
BY_KIND = "by_kind"  # partition: the item's sort key (ORDER, SKU#<sku>, NODE#<node>); sort: created_at
BY_STATUS = "by_status"  # partition: status
BY_CHANNEL = "by_channel"  # partition: channel
BY_CHANNEL_STATUS = "by_channel_status"  # partition: "<channel>#<status>"


class InvalidCursor(DomainError):
    code = "invalid_cursor"
    http_status = 400

    def __init__(self, why: str) -> None:
        super().__init__(f"the cursor is not one this search gave out ({why}); start again without `cursor`")


class ChannelNotYours(DomainError):
    code = "forbidden"
    http_status = 403

    def __init__(self, channel: str) -> None:
        super().__init__(f"a channel key sees its own orders only, not channel {channel!r}")


@record
class OrderFilter:
    status: OrderStatus | None = None
    channel: str | None = None
    created_from: datetime | None = None  # inclusive
    created_to: datetime | None = None  # exclusive
    sku: str | None = None
    node_id: str | None = None

    def matches(self, order: Order) -> bool:
        return (
            (self.status is None or order.status == self.status)
            and (self.channel is None or order.channel == self.channel)
            and (self.created_from is None or order.created_at >= self.created_from)
            and (self.created_to is None or order.created_at < self.created_to)
            and (self.sku is None or any(line.sku == self.sku for line in order.lines))
            and (self.node_id is None or self.node_id in node_ids(order))
        )

    def digest(self) -> str:
        """Names the filter in a cursor: a cursor is only good for the search that gave it out."""
        canon = json.dumps({k: str(v) for k, v in asdict(self).items() if v is not None}, sort_keys=True)
        return hashlib.sha256(canon.encode()).hexdigest()[:16]


@record
class IndexQuery:
    """One partition of one index, between two creation times (ISO 8601 text, as the index sorts them)."""

    index: str
    partition: str
    created_from: str | None
    created_to: str | None


@record
class Position:
    """Where a page ended: the last index entry read (its creation time and table key)."""

    created_at: str
    pk: str
    sk: str


@record
class IndexPage:
    orders: list[Order]  # in index order; entries whose order is gone are left out
    last: Position | None  # None when the partition has nothing more in range


class OrderIndex(Protocol):
    def page(self, query: IndexQuery, limit: int, after: Position | None) -> IndexPage:
        """Up to `limit` index entries newest first, after `after`, with their orders read by key."""


@record
class SearchPage:
    orders: list[Order]
    next: str | None


def node_ids(order: Order) -> list[str]:
    """Every node the order is (or was routed to be) fulfilled from, in first-seen order."""
    seen: dict[str, None] = {}
    for s in order.shipments:
        seen.setdefault(s.node_id, None)
    for a in order.routing.allocations if order.routing else ():
        seen.setdefault(a.node_id, None)
    if order.delivery.pickup_node:
        seen.setdefault(order.delivery.pickup_node, None)
    return list(seen)


def created_key(at: datetime) -> str:
    """The text an index sorts creation times by (the orders table's created_at attribute)."""
    return at.isoformat()


def plan(f: OrderFilter) -> IndexQuery:
    """The index and partition that answer the filter; the narrowest one that takes it as a key.

    Channel and status together have their own index; a SKU or a node comes next (a few orders each,
    whatever their status); then status, then channel; with none of them, every order by date.
    """
    if f.channel is not None and f.status is not None:
        index, partition = BY_CHANNEL_STATUS, f"{f.channel}#{f.status.value}"
    elif f.sku is not None:
        index, partition = BY_KIND, f"SKU#{f.sku}"
    elif f.node_id is not None:
        index, partition = BY_KIND, f"NODE#{f.node_id}"
    elif f.status is not None:
        index, partition = BY_STATUS, f.status.value
    elif f.channel is not None:
        index, partition = BY_CHANNEL, f.channel
    else:
        index, partition = BY_KIND, "ORDER"
    return IndexQuery(
        index=index,
        partition=partition,
        created_from=created_key(f.created_from) if f.created_from else None,
        created_to=created_key(f.created_to) if f.created_to else None,
    )


def encode_cursor(f: OrderFilter, last: Position) -> str:
    raw = json.dumps({"f": f.digest(), **asdict(last)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(f: OrderFilter, cursor: str) -> Position:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError) as err:
        raise InvalidCursor("it does not decode") from err
    if not isinstance(data, dict) or set(data) != {"f", "created_at", "pk", "sk"}:
        raise InvalidCursor("it does not have the expected fields")
    if not all(isinstance(v, str) and 0 < len(v) <= 300 for v in data.values()):
        raise InvalidCursor("its fields are not what this search writes")
    if data["f"] != f.digest():
        raise InvalidCursor("it was given out for other filters")
    if not data["pk"].startswith("ORDER#"):
        raise InvalidCursor("it does not point at an order")
    return Position(created_at=data["created_at"], pk=data["pk"], sk=data["sk"])


def scoped(f: OrderFilter, who: Principal) -> OrderFilter:
    """A channel searches its own orders only: its channel is always the filter."""
    if who.kind is not Kind.CHANNEL:
        return f
    if f.channel not in (None, who.name):
        raise ChannelNotYours(str(f.channel))
    return replace(f, channel=who.name)


def search_orders(f: OrderFilter, limit: int, cursor: str | None, *, index: OrderIndex) -> SearchPage:
    """One page of the orders matching the filter, newest first. A page may hold fewer than `limit`
    orders while `next` is set (entries that no longer match are left out); follow `next` until null."""
    after = decode_cursor(f, cursor) if cursor else None
    page = index.page(plan(f), limit, after)
    found = [o for o in page.orders if f.matches(o)]
    return SearchPage(orders=found, next=encode_cursor(f, page.last) if page.last else None)

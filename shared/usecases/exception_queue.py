"""GET /v1/ops/exceptions: every order that needs a person, typed, counted, filtered and paged.

Served by the orders table's sparse `exceptions` index: an order is in it while it has an open
exception, in the partition of the type it is filed under, sorted by `since` (then order id, so
every position is unique). A page merges the partitions asked for (one query each, never a scan),
oldest or newest first; the cursor is the last position returned, so each order appears once
across pages. Channel and node filters are applied to what the index returns, reading on until
the page is full. Counts honour every filter but `type` (they are per type, of the types asked
for): the age is a bound on the index's sort key, the channel and nodes are copied into the index
and filtered there, one counting query per type.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Protocol

from shared.domain.errors import DomainError
from shared.domain.exceptions import ORDER_TYPES, ExceptionType
from shared.domain.ops import QueueEntry, queue_entry
from shared.domain.order import Order
from shared.records import record

MAX_LIMIT = 200


def position(since: datetime, order_id: str) -> str:
    """An order's place in its partition of the index."""
    return f"{since.isoformat()}#{order_id}"


@record
class Filed:
    position: str
    order: Order


class ExceptionIndex(Protocol):
    def filed(
        self, kind: ExceptionType, *, low: str | None, high: str | None, newest_first: bool, limit: int
    ) -> Sequence[Filed]:
        """Up to `limit` orders filed under `kind` with low <= position <= high, in position order."""

    def count(
        self, kind: ExceptionType, *, high: str | None = None, channel: str | None = None, node_id: str | None = None
    ) -> int:
        """How many orders are filed under `kind` at a position up to `high`, of `channel`, at `node_id`."""


class BadCursor(DomainError):
    """The same answer as a search's made-up cursor: 400 invalid_cursor."""

    code = "invalid_cursor"
    http_status = 400

    def __init__(self) -> None:
        super().__init__("the cursor is not one this queue gave out; start again without `cursor`")


@record
class QueueQuery:
    # DEAD_LETTER among them: the dead-letter queues holding messages are listed too
    types: tuple[ExceptionType, ...] = tuple(ExceptionType)
    channel: str | None = None
    node_id: str | None = None
    # only exceptions open since at least this long: those that began before `older_than`
    older_than: datetime | None = None
    newest_first: bool = False
    limit: int = 50
    cursor: str | None = None


@record
class QueuePage:
    entries: tuple[QueueEntry, ...]
    counts: dict[str, int]
    next: str | None


def encode_cursor(at: str, newest_first: bool) -> str:
    return base64.urlsafe_b64encode(json.dumps({"p": at, "n": newest_first}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, newest_first: bool) -> str:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        at, order = raw["p"], raw["n"]
    except (binascii.Error, ValueError, KeyError, TypeError) as err:
        raise BadCursor from err
    if not isinstance(at, str) or order != newest_first:
        raise BadCursor
    return at


def _partition(
    index: ExceptionIndex, kind: ExceptionType, low: str | None, high: str | None, q: QueueQuery
) -> Iterator[Filed]:
    """One partition in position order, read a page at a time; the bound just read is not repeated."""
    after = None
    batch = max(q.limit, 25)
    while True:
        lo, hi = (low, after or high) if q.newest_first else (after or low, high)
        found = [
            f
            for f in index.filed(kind, low=lo, high=hi, newest_first=q.newest_first, limit=batch + 1)
            if f.position != after
        ]
        yield from found[:batch]
        if len(found) <= batch:
            return
        after = found[batch - 1].position


def list_exceptions(index: ExceptionIndex, query: QueueQuery, dead_letters: Sequence[QueueEntry] = ()) -> QueuePage:
    """`dead_letters`: one entry per dead-letter queue holding messages (shared/usecases/dead_letters.py);
    they are merged in by `since` like the orders, and name no channel or node."""
    start = decode_cursor(query.cursor, query.newest_first) if query.cursor else None
    # inclusive bounds: the cursor's own position is read again and skipped
    age_bound = position(query.older_than, "~") if query.older_than else None
    low, high = None, age_bound
    if start is not None and query.newest_first:
        high = min(start, high) if high else start
    elif start is not None:
        low = start
    streams: dict[ExceptionType, Iterator[tuple[str, Order | QueueEntry]]] = {
        kind: ((f.position, f.order) for f in _partition(index, kind, low, high, query))
        for kind in query.types
        if kind in ORDER_TYPES
    }
    letters = _dead_letters(dead_letters, query)
    if ExceptionType.DEAD_LETTER in query.types:
        inside = [(at, e) for at, e in letters if (low is None or at >= low) and (high is None or at <= high)]
        streams[ExceptionType.DEAD_LETTER] = iter(sorted(inside, key=lambda x: x[0], reverse=query.newest_first))
    heads: dict[ExceptionType, tuple[str, Order | QueueEntry]] = {}
    for kind, stream in streams.items():
        first = next((f for f in stream if f[0] != start), None)
        if first is not None:
            heads[kind] = first
    entries: list[QueueEntry] = []
    last: str | None = None
    while heads and len(entries) < query.limit:
        pick = (max if query.newest_first else min)(heads, key=lambda k: heads[k][0])
        last, found = heads.pop(pick)
        following = next(streams[pick], None)
        if following is not None:
            heads[pick] = following
        if isinstance(found, QueueEntry):
            entries.append(found)
            continue
        entry = queue_entry(found)
        # the index may lag its order: one resolved, or filed elsewhere since, is not answered here
        if entry is not None and entry.type == pick and _matches(entry, query):
            entries.append(entry)
    more = bool(heads) and last is not None
    counts = {
        kind.value: index.count(kind, high=age_bound, channel=query.channel, node_id=query.node_id)
        for kind in query.types
        if kind in ORDER_TYPES
    }
    if ExceptionType.DEAD_LETTER in query.types:
        counts[ExceptionType.DEAD_LETTER.value] = sum(1 for at, _ in letters if age_bound is None or at <= age_bound)
    return QueuePage(tuple(entries), counts, encode_cursor(last, query.newest_first) if more and last else None)


def _dead_letters(entries: Sequence[QueueEntry], query: QueueQuery) -> list[tuple[str, QueueEntry]]:
    """The dead-letter entries with their positions; none under a channel or node filter (they name neither)."""
    if query.channel is not None or query.node_id is not None:
        return []
    # after every order filed at the same instant: `~` sorts after any order id
    return [(position(e.since, f"~{e.subject}"), e) for e in entries]


def _matches(entry: QueueEntry, query: QueueQuery) -> bool:
    if query.channel is not None and entry.channel != query.channel:
        return False
    return query.node_id is None or query.node_id in entry.node_ids

"""The exception queue: which orders are filed under which type, paged over the index exactly once."""

from datetime import timedelta

import pytest

from shared.domain.exceptions import Action, ExceptionType
from shared.domain.ops import applicable_actions, queue_entry
from shared.domain.order import OrderStatus, copy
from shared.usecases.dead_letters import dead_letter_entries
from shared.usecases.exception_queue import BadCursor, QueueQuery, list_exceptions
from tests.unit.fakes import InMemoryOrders
from tests.unit.fakes_ops import InMemoryExceptionIndex, stored
from tests.unit.fakes_ops_reads import FakeDeadLetters
from tests.unit.test_shipments import AT, order


def _store(n: int) -> InMemoryOrders:
    """n orders: even ones held for payment, odd ones failed at their node, each a minute apart."""
    orders = InMemoryOrders()
    for i in range(n):
        o = order()
        o.order_id, o.external_id = f"ord_{i:03d}", f"W-{i}"
        o.channel = "web" if i % 3 else "pos"
        at = AT + timedelta(minutes=i)
        if i % 2 == 0:
            o.status, o.routing = OrderStatus.RECEIVED, None  # held before routing
            o.hold_for_payment("underpaid", at, "payment_insufficient")
        else:
            o.release(at)
            o.fail("ShipmentFailed: node silent", at)
        orders.add(o, "h")
    return orders


def _all_pages(index, dead_letters=(), **query):
    seen, cursor, pages = [], None, 0
    while True:
        page = list_exceptions(index, QueueQuery(cursor=cursor, **query), dead_letters)
        seen += [e.order_id for e in page.entries]
        pages += 1
        if page.next is None:
            return seen, pages, page
        cursor = page.next


def test_every_order_is_listed_once_across_pages_oldest_first_and_newest_first():
    orders = _store(23)
    index = InMemoryExceptionIndex(orders)
    oldest, pages, last = _all_pages(index, limit=5)
    assert oldest == [f"ord_{i:03d}" for i in range(23)]
    assert pages == 5
    assert last.counts["payment_hold"] == 12
    assert last.counts["fulfilment_failed"] == 11
    newest, _, _ = _all_pages(index, limit=4, newest_first=True)
    assert newest == oldest[::-1]


def test_filters_by_type_channel_node_and_age():
    orders = _store(12)
    index = InMemoryExceptionIndex(orders)
    held, _, _ = _all_pages(index, types=(ExceptionType.PAYMENT_HOLD,), limit=2)
    assert held == [f"ord_{i:03d}" for i in range(0, 12, 2)]
    assert set(index.queries) == {ExceptionType.PAYMENT_HOLD}  # only that partition was read
    pos, _, _ = _all_pages(index, channel="pos", limit=2)
    assert pos == ["ord_000", "ord_003", "ord_006", "ord_009"]
    at_b, _, _ = _all_pages(index, node_id="dc-b", limit=3)
    assert at_b == [f"ord_{i:03d}" for i in range(1, 12, 2)]  # held orders were never routed
    old, _, _ = _all_pages(index, older_than=AT + timedelta(minutes=4), limit=10)
    assert old == ["ord_000", "ord_001", "ord_002", "ord_003", "ord_004"]


def test_a_resolved_order_leaves_the_queue_and_its_entry_names_what_applies():
    orders = _store(2)
    index = InMemoryExceptionIndex(orders)
    entry = queue_entry(stored(orders, "ord_000"))
    assert entry is not None
    assert (entry.type, entry.reason, entry.actions) == (
        ExceptionType.PAYMENT_HOLD,
        "underpaid",
        (Action.RELEASE_HOLD, Action.CANCEL),
    )
    failed = queue_entry(stored(orders, "ord_001"))
    assert failed is not None
    assert failed.actions == (Action.RETRY, Action.REROUTE, Action.CANCEL)
    o = stored(orders, "ord_000")
    o.cancel("customer asked", "ops:ana", AT)
    orders.save(o)
    ids, _, _ = _all_pages(index)
    assert ids == ["ord_001"]


def test_actions_are_probed_on_a_copy_and_the_order_is_left_unchanged():
    o = order()
    o.release(AT)
    before = copy(o)
    assert applicable_actions(o) == (Action.CANCEL,)  # shipments not yet requested: nothing to re-route
    o.shipments[0].request_token = "tok"
    assert applicable_actions(o) == (Action.REROUTE, Action.CANCEL)
    o.shipments[0].request_token = None
    assert o == before


def test_a_cursor_made_up_or_from_the_other_order_is_refused():
    index = InMemoryExceptionIndex(_store(3))
    page = list_exceptions(index, QueueQuery(limit=1))
    with pytest.raises(BadCursor):
        list_exceptions(index, QueueQuery(limit=1, cursor=page.next, newest_first=True))
    with pytest.raises(BadCursor):
        list_exceptions(index, QueueQuery(cursor="not-a-cursor"))


def test_counts_honour_the_channel_node_and_age_filters_but_not_the_type():
    orders = _store(12)
    index = InMemoryExceptionIndex(orders)
    everything = list_exceptions(index, QueueQuery()).counts
    assert (everything["payment_hold"], everything["fulfilment_failed"]) == (6, 6)
    pos = list_exceptions(index, QueueQuery(channel="pos")).counts  # ord_000, 003, 006, 009
    assert (pos["payment_hold"], pos["fulfilment_failed"]) == (2, 2)
    at_b = list_exceptions(index, QueueQuery(node_id="dc-b")).counts  # only the routed (failed) ones
    assert (at_b["payment_hold"], at_b["fulfilment_failed"]) == (0, 6)
    old = list_exceptions(index, QueueQuery(older_than=AT + timedelta(minutes=4))).counts  # ord_000..004
    assert (old["payment_hold"], old["fulfilment_failed"]) == (3, 2)
    held = list_exceptions(index, QueueQuery(types=(ExceptionType.PAYMENT_HOLD,), channel="pos")).counts
    assert held == {"payment_hold": 2}


def _letters() -> FakeDeadLetters:
    """Two poison messages on the events queue (the oldest 150 s before the 6th order), none elsewhere."""
    letters = FakeDeadLetters(["intake", "events", "restock"])
    letters.dead_letter("events", '{"type": "shipped"}', AT + timedelta(minutes=3, seconds=30))
    letters.dead_letter("events", '{"type": "packed"}', AT + timedelta(minutes=8))
    return letters


def test_a_dead_letter_queue_holding_messages_is_one_entry_merged_by_age_and_counted():
    index = InMemoryExceptionIndex(_store(6))
    now = AT + timedelta(hours=1)
    letters = dead_letter_entries(now, dead_letters=_letters())
    [entry] = letters
    assert (entry.type, entry.subject, entry.actions, entry.order_id) == (
        ExceptionType.DEAD_LETTER,
        "events",
        (Action.REDRIVE,),
        None,
    )
    assert entry.since == AT + timedelta(minutes=3, seconds=30)
    assert entry.reason.startswith("2 message(s) in the events queue's dead-letter queue, the oldest sent 56 min ago")
    seen, _, page = _all_pages(index, limit=2, dead_letters=letters)
    # filed between the 4th order (3 min) and the 5th (4 min), once across the pages
    assert seen == ["ord_000", "ord_001", "ord_002", "ord_003", None, "ord_004", "ord_005"]
    assert page.counts["dead_letter"] == 1
    newest, _, _ = _all_pages(index, limit=3, newest_first=True, dead_letters=letters)
    assert newest == seen[::-1]
    index.queries.clear()
    only, _, page = _all_pages(index, types=(ExceptionType.DEAD_LETTER,), dead_letters=letters)
    assert (only, page.counts) == ([None], {"dead_letter": 1})
    assert index.queries == []  # dead letters are no partition of the index
    # a dead letter names no channel or node, and is younger than 4 minutes' age
    for query in ({"channel": "web"}, {"node_id": "dc-b"}, {"older_than": AT + timedelta(minutes=3)}):
        found, _, page = _all_pages(index, dead_letters=letters, **query)
        assert None not in found, query
        assert page.counts["dead_letter"] == 0, query
    assert dead_letter_entries(now, dead_letters=FakeDeadLetters(["intake"])) == []

"""The refund ledger's pages on DynamoDB (moto): across the UTC-day partitions every entry once, a
page stops reading once full, and a stretch of empty days costs a bounded number of Queries per
page. Queries are counted on the real client with botocore's event hooks."""

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shared.adapters.dynamodb_ledger import QUERIES_PER_PAGE, DynamoDBLedger
from shared.domain.refund_ledger import LedgerEntry, RefundReason, RefundStatus, refund_key
from shared.ports import LedgerQuery


class Counted:
    """The ledger on a client whose Queries are counted (botocore's before-call event)."""

    def __init__(self, client, table):
        self.queries = 0
        client.meta.events.register("before-call.dynamodb.Query", self._count)
        self.ledger = DynamoDBLedger(client, table)

    def _count(self, **_):
        self.queries += 1


@pytest.fixture
def counted(aws, resources):
    return Counted(aws("dynamodb"), resources.tables["ledger"])


@pytest.fixture
def start():
    """A period of its own: no other test's refunds on these days (the table is the session's)."""
    return datetime(2040, 1, 1, tzinfo=UTC) + timedelta(days=random.randrange(20_000))


def opened(ledger, run, n, at, status=RefundStatus.SUCCEEDED):
    order_id = f"ord_{run}_{n % 7}"
    entry = LedgerEntry(
        refund_id=f"rf_{run}_{n:04d}",
        order_id=order_id,
        payment_intent=f"pi_{run}_{n}",
        amount=100 + n,
        currency="USD",
        reason=RefundReason.RETURN,
        cause_id=f"c{n}",
        idempotency_key=refund_key(order_id, f"c{n}"),
        status=RefundStatus.PENDING,
        stripe_refund_id=None,
        failure_reason=None,
        created_at=at,
        settled_at=None,
    )
    ledger.open(entry, captured=10_000)
    if status is RefundStatus.PENDING:
        return entry
    paid = status is RefundStatus.SUCCEEDED
    return ledger.settle(entry.refund_id, status, f"re_{run}_{n}" if paid else None, None if paid else "expired", at)


def every_page(counted, query, limit):
    pages, after = [], None
    while True:
        before = counted.queries
        page = counted.ledger.page(query, limit, after)
        pages.append(([e.refund_id for e in page.items], counted.queries - before))
        if page.after is None:
            return pages
        after = page.after


def test_pages_cover_every_entry_once_across_the_days(counted, start):
    run = uuid.uuid4().hex[:8]
    # 90 refunds on 9 of 30 days (several in the same second), two days with 20 each
    days = [0, 1, 2, 5, 6, 13, 14, 21, 29]
    day = [days[n % 9] if n < 50 else (1 if n < 70 else 13) for n in range(90)]
    at = [start + timedelta(days=day[n], hours=n % 24, seconds=n % 2) for n in range(90)]
    made = [opened(counted.ledger, run, n, at[n]) for n in range(90)]
    query = LedgerQuery(since=start, until=start + timedelta(days=30))
    pages = every_page(counted, query, 16)
    seen = [rid for ids, _ in pages for rid in ids]
    expected = sorted(made, key=lambda e: (e.created_at, e.refund_id))
    assert seen == [e.refund_id for e in expected]
    assert all(len(ids) <= 16 and queries <= QUERIES_PER_PAGE for ids, queries in pages)
    # the listing the reconciliation reads is the same, all pages at once
    assert [e.refund_id for e in counted.ledger.list(since=start, until=start + timedelta(days=30))] == seen
    # a filter on status pages too, each matching entry once
    failed = [
        opened(counted.ledger, run, n, start + timedelta(days=3, minutes=n), RefundStatus.FAILED) for n in range(90, 95)
    ]
    only = every_page(
        counted, LedgerQuery(status=RefundStatus.FAILED, since=start, until=start + timedelta(days=30)), 2
    )
    assert [rid for ids, _ in only for rid in ids] == [e.refund_id for e in failed]


def test_a_full_first_page_reads_only_the_days_it_needs(counted, start):
    run = uuid.uuid4().hex[:8]
    for n in range(12):
        opened(counted.ledger, run, n, start + timedelta(hours=1, minutes=n))
    opened(counted.ledger, run, 99, start + timedelta(days=20))
    before = counted.queries
    page = counted.ledger.page(LedgerQuery(since=start, until=start + timedelta(days=30)), 10)
    assert len(page.items) == 10
    assert page.after is not None
    assert counted.queries - before == 1  # the first day only, not 31


def test_an_empty_period_costs_a_bounded_number_of_queries_per_page(counted, start):
    query = LedgerQuery(since=start, until=start + timedelta(days=30))  # 31 UTC days, none with a refund
    pages = every_page(counted, query, 100)
    assert [ids for ids, _ in pages] == [[], [], [], []]
    assert [queries for _, queries in pages] == [QUERIES_PER_PAGE] * 3 + [31 - 3 * QUERIES_PER_PAGE]


def test_pending_pages_in_creation_order_up_to_a_time(counted, start):
    run = uuid.uuid4().hex[:8]
    made = [opened(counted.ledger, run, n, start + timedelta(minutes=n), RefundStatus.PENDING) for n in range(25)]
    query = LedgerQuery(status=RefundStatus.PENDING, since=None, until=start + timedelta(minutes=20))
    ours = [
        [rid for rid in ids if rid.startswith(f"rf_{run}")]
        for ids, _ in every_page(counted, LedgerQuery(status=RefundStatus.PENDING, until=query.until), 7)
    ]
    assert [rid for ids in ours for rid in ids] == [e.refund_id for e in made[:20]]

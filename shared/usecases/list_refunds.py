"""GET /v1/finance/refunds: one page of the refund ledger, oldest first.

Without an order or a start time (and not only PENDING) the listing covers the last 30 days; the
start so chosen goes into the cursor, so every page of one listing reads the same range. The
cursor is the position the ledger's page ended at: each entry appears once across the pages.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta

from shared.domain.refund_ledger import LedgerEntry, RefundStatus
from shared.ports import LedgerQuery, RefundLedger
from shared.records import record
from shared.usecases import paging

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
DEFAULT_WINDOW = timedelta(days=30)
LISTING = "refunds"
# a sort key "<created_at>#<refund_id>", or the UTC day a partition starts
_POSITION = re.compile(r"^\d{4}-\d{2}-\d{2}(T[0-9:.+\-]{8,40}#[A-Za-z0-9_\-]{1,128})?$")


@record
class RefundPage:
    refunds: list[LedgerEntry]
    next: str | None


def _valid(position: str) -> bool:
    if not _POSITION.match(position):
        return False
    try:
        datetime.fromisoformat(position[:10])
    except ValueError:
        return False
    return True


def _given(query: LedgerQuery) -> str:
    return paging.digest(
        {"status": query.status, "order_id": query.order_id, "since": query.since, "until": query.until}
    )


def resolved(query: LedgerQuery, now: datetime) -> LedgerQuery:
    """The query as the ledger runs it: without an order, a start or status PENDING, the last 30 days."""
    if query.order_id is None and query.since is None and query.status is not RefundStatus.PENDING:
        return replace(query, since=(query.until or now) - DEFAULT_WINDOW)
    return query


def list_refunds(
    ledger: RefundLedger, query: LedgerQuery, now: datetime, limit: int = DEFAULT_LIMIT, cursor: str | None = None
) -> RefundPage:
    """One page; `next` is null once nothing more matches (a page may be short while it is set)."""
    paging.check_limit(limit, MAX_LIMIT)
    after = None
    run = resolved(query, now)
    if cursor is not None:
        data = paging.decode(LISTING, _given(query), cursor, _valid, extra=("s",))
        after = data["p"]
        if run.since is not None and query.since is None:  # the start the first page chose
            try:
                since = datetime.fromisoformat(data["s"] or "")
            except ValueError as err:
                raise paging.InvalidCursor("its start is not a time") from err
            if since.tzinfo is None:
                raise paging.InvalidCursor("its start is not a time")
            run = replace(run, since=since)
    page = ledger.page(run, limit, after)
    if page.after is None:
        return RefundPage(page.items, None)
    start = run.since.isoformat() if run.since is not None and query.since is None else None
    return RefundPage(page.items, paging.encode(LISTING, _given(query), page.after, s=start))

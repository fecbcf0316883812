"""GET /v1/finance/reconciliations/{id}: the stored report with its rows a page at a time.

A period of 31 days can hold tens of thousands of refunds, one row each (about 300 bytes): the
rows come in pages, in the report's order, so no answer nears Lambda's 6 MB. The cursor is the
index of the next row, good only for that reconciliation; the CSV and JSON links hold every row.
"""

from __future__ import annotations

from typing import Any

from shared.usecases import paging

DEFAULT_LIMIT = 500
MAX_LIMIT = 1000
LISTING = "reconciliation_rows"


def rows_page(
    document: dict[str, Any], limit: int = DEFAULT_LIMIT, cursor: str | None = None
) -> tuple[dict[str, Any], str | None]:
    """The document with only one page of its rows, and the cursor of the next page (None: the last)."""
    paging.check_limit(limit, MAX_LIMIT)
    rows: list[Any] = document["rows"]
    scope = paging.digest({"reconciliation_id": document["reconciliation_id"]})
    first = 0
    if cursor is not None:
        position = paging.decode(LISTING, scope, cursor, lambda p: p.isdigit() and 0 < int(p) < len(rows))["p"]
        first = int(position)
    end = first + limit
    following = paging.encode(LISTING, scope, str(end)) if end < len(rows) else None
    return {**document, "rows": rows[first:end]}, following

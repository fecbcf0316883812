"""Past reconciliations, newest first: the record each run leaves, the port that keeps them, and
one page of them (GET /v1/finance/reconciliations).

A record is the report without its rows: when it ran, the period, and the count and amounts per
class. Its position, "<ran_at>#<reconciliation id>", sorts by run time; the cursor of a page is the
position of its last record, so every record appears once across pages.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from shared.domain.errors import DomainError
from shared.domain.reconciliation import ClassSummary, Match, ReconciliationReport
from shared.records import record

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
# a fixed-width UTC time, so that positions sort as the times do
_STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"
_POSITION = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z#rec_[0-9]{8}_[0-9]{6}_[0-9a-f]{8}$")


@record
class ReconciliationRecord:
    reconciliation_id: str
    ran_at: datetime
    period_start: datetime
    period_end: datetime
    clean: bool
    summary: dict[Match, ClassSummary]

    @classmethod
    def of(cls, rec_id: str, ran_at: datetime, report: ReconciliationReport) -> ReconciliationRecord:
        return cls(rec_id, ran_at, report.period_start, report.period_end, report.clean, report.summary)

    @property
    def position(self) -> str:
        return f"{self.ran_at.astimezone(UTC).strftime(_STAMP)}#{self.reconciliation_id}"

    @property
    def day(self) -> date | None:
        """The UTC day reconciled, when the period is exactly one."""
        start, end = self.period_start.astimezone(UTC), self.period_end.astimezone(UTC)
        whole_day = start.time() == datetime.min.time() and end - start == timedelta(days=1)
        return start.date() if whole_day else None

    @property
    def totals(self) -> ClassSummary:
        """Every class added up: refunds, and amounts per currency on each side."""
        ledger: dict[str, int] = {}
        stripe: dict[str, int] = {}
        for s in self.summary.values():
            for into, amounts in ((ledger, s.ledger_amounts), (stripe, s.stripe_amounts)):
                for currency, amount in amounts.items():
                    into[currency] = into.get(currency, 0) + amount
        return ClassSummary(sum(s.count for s in self.summary.values()), ledger, stripe)


class ReconciliationLog(Protocol):
    def add(self, record: ReconciliationRecord) -> None:
        """Keep the record (again: the same record twice is kept once)."""

    def newest(self, limit: int, before: str | None) -> Sequence[ReconciliationRecord]:
        """Up to `limit` records newest first, those at a position before `before` when given."""


class InvalidCursor(DomainError):
    """The same answer as the order search's made-up cursor: 400 invalid_cursor."""

    code = "invalid_cursor"
    http_status = 400

    def __init__(self) -> None:
        super().__init__("the cursor is not one this listing gave out; start again without `cursor`")


@record
class ReconciliationPage:
    records: list[ReconciliationRecord]
    next: str | None


def _encode(position: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"before": position}).encode()).decode().rstrip("=")


def _decode(cursor: str) -> str:
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))["before"]
    except (binascii.Error, ValueError, KeyError, TypeError) as err:
        raise InvalidCursor from err
    if not isinstance(position, str) or not _POSITION.match(position):
        raise InvalidCursor
    return position


def list_reconciliations(
    log: ReconciliationLog, limit: int = DEFAULT_LIMIT, cursor: str | None = None
) -> ReconciliationPage:
    """One page newest first; `next` is set only when another record follows."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit is 1 to {MAX_LIMIT}")
    found = list(log.newest(limit + 1, _decode(cursor) if cursor is not None else None))
    page = found[:limit]
    return ReconciliationPage(page, _encode(page[-1].position) if len(found) > limit else None)

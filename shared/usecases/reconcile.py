"""Reconcile the refund ledger against Stripe for a period, and keep the report (JSON and CSV).

Runs on demand (POST /v1/finance/reconciliations) and daily for the previous UTC day; each run is
listed in the reconciliation log (shared/usecases/reconciliation_log.py).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from shared.domain.errors import DomainError
from shared.domain.reconciliation import ReconciliationReport, reconcile, to_csv, to_json
from shared.ports import Clock, RefundGateway, RefundLedger, ReportStore
from shared.records import record
from shared.usecases.reconciliation_log import ReconciliationLog, ReconciliationRecord

MAX_PERIOD = timedelta(days=31)
# Periods outside these years are refused (nothing to reconcile there, and no date arithmetic overflows).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
# Ledger entries and Stripe refunds this close outside the period are fetched too, so that an entry
# recorded at 23:59:59 still pairs with its Stripe refund stamped 00:00:01 (they get no row of their own).
SLACK = timedelta(hours=1)
PREFIX = "reports/reconciliations/"
ID_PATTERN = r"^rec_[0-9]{8}_[0-9]{6}_[0-9a-f]{8}$"


class InvalidPeriod(DomainError):
    code = "validation_failed"
    http_status = 422


@record
class ReconciliationRun:
    reconciliation_id: str
    ran_at: datetime
    report: ReconciliationReport
    # the report as stored: reconciliation_id, ran_at, period, clean, summary, rows
    document: dict[str, Any]
    json_key: str
    csv_key: str


def day_period(day: date) -> tuple[datetime, datetime]:
    """[day 00:00 UTC, next day 00:00 UTC)."""
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


def previous_day(now: datetime) -> tuple[datetime, datetime]:
    """The UTC day before `now`'s."""
    return day_period(now.astimezone(UTC).date() - timedelta(days=1))


def scheduled_period(day: date | None, now: datetime) -> tuple[datetime, datetime]:
    """What a scheduled run reconciles: the day it names, else the UTC day before `now`'s."""
    return day_period(day) if day else previous_day(now)


def check_period(period_start: datetime, period_end: datetime) -> None:
    if period_start.tzinfo is None or period_end.tzinfo is None:
        raise InvalidPeriod("period_start and period_end must carry a timezone")
    if period_end <= period_start:
        raise InvalidPeriod("period_end must be after period_start")
    if period_start < EARLIEST or period_end > LATEST:
        raise InvalidPeriod(f"a period lies between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}")
    if period_end - period_start > MAX_PERIOD:
        raise InvalidPeriod(f"a reconciliation covers at most {MAX_PERIOD.days} days")


def reconciliation_id(period_start: datetime, period_end: datetime, ran_at: datetime) -> str:
    """rec_<yyyymmdd>_<hhmmss>_<hash>: when it ran (UTC), and a hash of the period and the exact run time."""
    ran = ran_at.astimezone(UTC)
    seed = f"{period_start.astimezone(UTC).isoformat()}|{period_end.astimezone(UTC).isoformat()}|{ran.isoformat()}"
    return f"rec_{ran:%Y%m%d_%H%M%S}_{hashlib.sha256(seed.encode()).hexdigest()[:8]}"


def report_keys(rec_id: str) -> tuple[str, str]:
    """(JSON key, CSV key) of a reconciliation in the report store."""
    if not re.match(ID_PATTERN, rec_id):
        raise ValueError(f"not a reconciliation id: {rec_id!r}")
    return f"{PREFIX}{rec_id}.json", f"{PREFIX}{rec_id}.csv"


def run_reconciliation(
    period_start: datetime,
    period_end: datetime,
    *,
    ledger: RefundLedger,
    gateway: RefundGateway,
    reports: ReportStore,
    log: ReconciliationLog,
    clock: Clock,
) -> ReconciliationRun:
    """The ledger against Stripe for [period_start, period_end), stored as JSON and CSV, and listed."""
    check_period(period_start, period_end)
    ran_at = clock.now()
    entries = ledger.list(since=period_start - SLACK, until=period_end + SLACK)
    refunds = gateway.list_refunds(period_start - SLACK, period_end + SLACK)
    report = reconcile(entries, refunds, period_start, period_end)
    rec_id = reconciliation_id(period_start, period_end, ran_at)
    json_key, csv_key = report_keys(rec_id)
    document = {"reconciliation_id": rec_id, "ran_at": ran_at.astimezone(UTC).isoformat(), **to_json(report)}
    reports.put(csv_key, to_csv(report).encode(), "text/csv")
    # the JSON last: a report that can be read by id always has its CSV
    reports.put(json_key, json.dumps(document).encode(), "application/json")
    # listed last: every listed reconciliation can be read and downloaded
    log.add(ReconciliationRecord.of(rec_id, ran_at, report))
    return ReconciliationRun(rec_id, ran_at, report, document, json_key, csv_key)


def stored_reconciliation(rec_id: str, *, reports: ReportStore) -> dict[str, Any] | None:
    """The stored report of a reconciliation (as written by run_reconciliation), None if unknown."""
    try:
        json_key, _ = report_keys(rec_id)
    except ValueError:
        return None
    body = reports.get(json_key)
    if body is None:
        return None
    document: dict[str, Any] = json.loads(body)
    return document

"""The reconciliation log on DynamoDB (moto): a record read back as written, newest first below a position."""

from datetime import UTC, datetime, timedelta

import pytest

from shared.adapters.dynamodb_reconciliations import DynamoDBReconciliations
from shared.domain.reconciliation import ClassSummary, Match
from shared.usecases.reconcile import day_period, reconciliation_id
from shared.usecases.reconciliation_log import ReconciliationRecord, list_reconciliations

# Long before any other test's runs: the log is one partition, shared by the session.
RAN = datetime(2001, 5, 2, 2, 30, tzinfo=UTC)


@pytest.fixture
def log(aws, resources):
    return DynamoDBReconciliations(aws("dynamodb"), resources.tables["reconciliations"])


def record(minutes: int) -> ReconciliationRecord:
    start, end = day_period(RAN.date() - timedelta(days=1))
    ran_at = RAN + timedelta(minutes=minutes, microseconds=minutes)
    summary = {kind: ClassSummary() for kind in Match} | {
        Match.MATCHED: ClassSummary(2, {"USD": 1200, "EUR": 5}, {"USD": 1200, "EUR": 5}),
        Match.MISSING_IN_WAYBILL: ClassSummary(1, {}, {"USD": 500}),
    }
    return ReconciliationRecord(reconciliation_id(start, end, ran_at), ran_at, start, end, False, summary)


def test_records_come_back_as_written_newest_first_and_once(log):
    written = [record(m) for m in (3, 1, 4, 2)]
    for r in written:
        log.add(r)
    log.add(written[0])  # a retried write lands on the same item
    above = record(60).position  # every record of this test is below it
    newest_first = sorted(written, key=lambda r: r.ran_at, reverse=True)
    assert list(log.newest(10, above)) == newest_first
    assert list(log.newest(2, newest_first[1].position)) == newest_first[2:]
    assert list(log.newest(10, written[1].position)) == []


def test_a_listing_pages_through_the_table(log):
    for m in range(10, 15):
        log.add(record(m))
    first = list_reconciliations(log, 2)
    assert first.next is not None
    second = list_reconciliations(log, 2, first.next)
    assert second.records[0].ran_at < first.records[-1].ran_at

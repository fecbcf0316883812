"""The reconciliation log on DynamoDB (the RECONCILIATIONS table: pk/sk strings, no index).

  RECONCILIATION   <ran_at>#<reconciliation_id>   one reconciliation: period, clean, summary per class

One partition: a reconciliation a day and those run by hand stay far below a partition's limits.
A page is one Query on it, newest first, below the position the cursor names.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.adapters.dynamodb_items import attr, from_item, to_item
from shared.domain.reconciliation import ClassSummary, Match
from shared.usecases.reconciliation_log import ReconciliationRecord

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

PK = "RECONCILIATION"


class DynamoDBReconciliations:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self._table = table

    def add(self, record: ReconciliationRecord) -> None:
        summary = {
            str(kind): {"count": s.count, "ledger_amounts": s.ledger_amounts, "stripe_amounts": s.stripe_amounts}
            for kind, s in record.summary.items()
        }
        item = {
            "pk": PK,
            "sk": record.position,
            "reconciliation_id": record.reconciliation_id,
            "ran_at": record.ran_at.isoformat(),
            "period_start": record.period_start.isoformat(),
            "period_end": record.period_end.isoformat(),
            "clean": record.clean,
            "summary": summary,
        }
        # the same key each time: a retried run's write lands on the same item
        self._db.put_item(TableName=self._table, Item=to_item(item))

    def newest(self, limit: int, before: str | None) -> Sequence[ReconciliationRecord]:
        values: dict[str, Any] = {":pk": attr(PK)}
        condition = "pk = :pk"
        if before is not None:
            values[":before"] = attr(before)
            condition += " AND sk < :before"
        found: list[ReconciliationRecord] = []
        start: dict[str, Any] | None = None
        while len(found) < limit:
            query: dict[str, Any] = {
                "TableName": self._table,
                "KeyConditionExpression": condition,
                "ExpressionAttributeValues": values,
                "ScanIndexForward": False,
                "Limit": limit - len(found),
            }
            if start is not None:
                query["ExclusiveStartKey"] = start
            answer = self._db.query(**query)
            found += [_record(from_item(item)) for item in answer["Items"]]
            start = answer.get("LastEvaluatedKey")
            if start is None:
                break
        return found


def _record(item: dict[str, Any]) -> ReconciliationRecord:
    summary = {
        Match(kind): ClassSummary(s["count"], dict(s["ledger_amounts"]), dict(s["stripe_amounts"]))
        for kind, s in item["summary"].items()
    }
    return ReconciliationRecord(
        reconciliation_id=item["reconciliation_id"],
        ran_at=datetime.fromisoformat(item["ran_at"]),
        period_start=datetime.fromisoformat(item["period_start"]),
        period_end=datetime.fromisoformat(item["period_end"]),
        clean=item["clean"],
        summary=summary,
    )

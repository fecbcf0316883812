"""Orders by status, oldest first: the orders table's `by_status` index (status, created_at), keys only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.domain.order import OrderStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

INDEX = "by_status"


class DynamoDBStatusIndex:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self._table = table

    def created_before(self, status: OrderStatus, bound: datetime, limit: int) -> Sequence[str]:
        query: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": INDEX,
            "KeyConditionExpression": "#s = :s AND created_at < :b",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":s": {"S": status.value}, ":b": {"S": bound.isoformat()}},
        }
        found: list[str] = []
        while len(found) < limit:
            page = self._db.query(**query, Limit=limit - len(found))
            found += [item["pk"]["S"].removeprefix("ORDER#") for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found

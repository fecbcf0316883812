"""The exception queue on DynamoDB: queries of the orders table's sparse `exceptions` index
(shared/adapters/exception_index.py says what is in it), one partition per exception type."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from shared.adapters.dynamodb_orders import order_from_item
from shared.adapters.exception_index import (
    CHANNEL_ATTRIBUTE,
    INDEX,
    NODES_ATTRIBUTE,
    POSITION_ATTRIBUTE,
    TYPE_ATTRIBUTE,
)
from shared.domain.exceptions import ExceptionType
from shared.domain.order import Order
from shared.usecases.exception_queue import Filed

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class DynamoDBExceptionIndex:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self._table = table

    def _query(self, kind: ExceptionType, low: str | None, high: str | None) -> dict[str, Any]:
        condition = "#t = :t"
        values: dict[str, Any] = {":t": {"S": kind.value}}
        if low is not None and high is not None:
            condition += " AND #p BETWEEN :lo AND :hi"
        elif low is not None:
            condition += " AND #p >= :lo"
        elif high is not None:
            condition += " AND #p <= :hi"
        if low is not None:
            values[":lo"] = {"S": low}
        if high is not None:
            values[":hi"] = {"S": high}
        names = {"#t": TYPE_ATTRIBUTE, **({"#p": POSITION_ATTRIBUTE} if len(values) > 1 else {})}
        return {
            "TableName": self._table,
            "IndexName": INDEX,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }

    def filed(
        self, kind: ExceptionType, *, low: str | None, high: str | None, newest_first: bool, limit: int
    ) -> Sequence[Filed]:
        query = {**self._query(kind, low, high), "ScanIndexForward": not newest_first}
        keys: list[dict[str, Any]] = []
        while len(keys) < limit:
            page = self._db.query(**query, Limit=limit - len(keys))
            keys += page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        # the index holds keys only: the orders are read from the table, as they are now
        orders = self._orders([{"pk": k["pk"], "sk": k["sk"]} for k in keys])
        return [Filed(k[POSITION_ATTRIBUTE]["S"], orders[k["pk"]["S"]]) for k in keys if k["pk"]["S"] in orders]

    def _orders(self, keys: list[dict[str, Any]]) -> dict[str, Order]:
        found: dict[str, Order] = {}
        for start in range(0, len(keys), 100):
            request: Any = {self._table: {"Keys": keys[start : start + 100], "ConsistentRead": True}}
            while request:
                answer = self._db.batch_get_item(RequestItems=request)
                for item in answer.get("Responses", {}).get(self._table, []):
                    found[item["pk"]["S"]] = order_from_item(item)
                request = answer.get("UnprocessedKeys") or None
        return found

    def count(
        self, kind: ExceptionType, *, high: str | None = None, channel: str | None = None, node_id: str | None = None
    ) -> int:
        query: dict[str, Any] = {**self._query(kind, None, high), "Select": "COUNT"}
        # channel and nodes are copied into the index: filtered there, no order is read
        filters = []
        if channel is not None:
            filters.append("#c = :c")
            query["ExpressionAttributeNames"]["#c"] = CHANNEL_ATTRIBUTE
            query["ExpressionAttributeValues"][":c"] = {"S": channel}
        if node_id is not None:
            filters.append("contains(#n, :n)")
            query["ExpressionAttributeNames"]["#n"] = NODES_ATTRIBUTE
            query["ExpressionAttributeValues"][":n"] = {"S": node_id}
        if filters:
            query["FilterExpression"] = " AND ".join(filters)
        total = 0
        while True:
            page = self._db.query(**query)
            total += page.get("Count", 0)
            if "LastEvaluatedKey" not in page:
                return total
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

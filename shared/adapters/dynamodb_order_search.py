"""OrderIndex on DynamoDB: a Query on one partition of one of the orders table's secondary indexes
(keys only), then the page's orders read by key with BatchGetItem.

The indexes are kept by the order items themselves (status, channel, channel_status, created_at) and
by one small item per SKU and per node of an order (`ORDER#<id>` / `SKU#<sku>`, `NODE#<node>`, with
the order's created_at), which the `by_kind` index files under their sort key. shared/adapters/
order_index.py says what those items are; DynamoDBOrders writes them.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from shared.adapters.dynamodb_items import key, to_item, value
from shared.adapters.dynamodb_orders import order_from_item
from shared.domain.order import Order
from shared.usecases.search_orders import (
    BY_CHANNEL,
    BY_CHANNEL_STATUS,
    BY_KIND,
    BY_STATUS,
    IndexPage,
    IndexQuery,
    Position,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# The attribute each index is partitioned by; all of them sort by created_at.
PARTITION_ATTRIBUTE = {BY_KIND: "sk", BY_STATUS: "status", BY_CHANNEL: "channel", BY_CHANNEL_STATUS: "channel_status"}
SORT_ATTRIBUTE = "created_at"
_BATCH = 100  # BatchGetItem's most keys per call


class DynamoDBOrderSearch:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self._table = table

    def page(self, query: IndexQuery, limit: int, after: Position | None) -> IndexPage:
        partition = PARTITION_ATTRIBUTE[query.index]
        names = {"#p": partition}
        values: dict[str, Any] = {":p": query.partition}
        condition = "#p = :p"
        if query.created_from or query.created_to:
            names["#c"] = SORT_ATTRIBUTE
        if query.created_from and query.created_to:
            condition += " AND #c BETWEEN :a AND :b"  # inclusive; the use case drops created_to itself
            values |= {":a": query.created_from, ":b": query.created_to}
        elif query.created_from:
            condition += " AND #c >= :a"
            values[":a"] = query.created_from
        elif query.created_to:
            condition += " AND #c <= :b"
            values[":b"] = query.created_to
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": query.index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": to_item(values),
            "ScanIndexForward": False,  # newest first
            "Limit": limit,
        }
        if after is not None:
            params["ExclusiveStartKey"] = to_item(
                {"pk": after.pk, "sk": after.sk, partition: query.partition, SORT_ATTRIBUTE: after.created_at}
            )
        answer = self._db.query(**params)
        entries = answer.get("Items", [])
        order_ids = list(dict.fromkeys(str(value(e["pk"])).removeprefix("ORDER#") for e in entries))
        orders = self._read(order_ids)
        last = answer.get("LastEvaluatedKey")
        position = None
        if last is not None:
            position = Position(
                created_at=str(value(last[SORT_ATTRIBUTE])), pk=str(value(last["pk"])), sk=str(value(last["sk"]))
            )
        return IndexPage(orders=[orders[i] for i in order_ids if i in orders], last=position)

    def _read(self, order_ids: list[str]) -> dict[str, Order]:
        found: dict[str, Order] = {}
        for start in range(0, len(order_ids), _BATCH):
            request: dict[str, Any] = {
                self._table: {"Keys": [key(f"ORDER#{i}", "ORDER") for i in order_ids[start : start + _BATCH]]}
            }
            pause = 0.05
            while request:
                answer = self._db.batch_get_item(RequestItems=request)
                for item in answer.get("Responses", {}).get(self._table, []):
                    order = order_from_item(item)
                    found[order.order_id] = order
                request = dict(answer.get("UnprocessedKeys") or {})
                if request:  # throttled: what is left, after a short backoff
                    time.sleep(pause)
                    pause = min(pause * 2, 1.0)
        return found

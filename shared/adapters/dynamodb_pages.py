"""One page of one partition, in sort-key order after a position: the listings of a single
partition (nodes, reorder suggestions) read what a page shows and one item more, never the whole
partition. The position is a sort key; the next page starts above it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.adapters.dynamodb_items import attr, value
from shared.ports import Page

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def partition_page(client: DynamoDBClient, table: str, pk: str, limit: int, after: str | None) -> Page[dict[str, Any]]:
    """Up to `limit` items of partition `pk` with a sort key above `after`; `after` of the answer is
    the last one's sort key while more follow (one more is asked for to know)."""
    values: dict[str, Any] = {":pk": attr(pk)}
    condition = "pk = :pk"
    if after is not None:
        values[":after"] = attr(after)
        condition += " AND sk > :after"
    found: list[dict[str, Any]] = []
    start: dict[str, Any] | None = None
    while len(found) <= limit:
        query: dict[str, Any] = {
            "TableName": table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "Limit": limit + 1 - len(found),
        }
        if start is not None:
            query["ExclusiveStartKey"] = start
        answer = client.query(**query)
        found += answer["Items"]
        start = answer.get("LastEvaluatedKey")
        if start is None:
            break
    page = found[:limit]
    return Page(page, value(page[-1]["sk"]) if len(found) > limit else None)

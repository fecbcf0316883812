"""Every order and every ledger entry, by Scan: only for a backfill, a rare administrative job."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from shared.adapters.dynamodb_ledger import ENTRY_SK, entry_from_item
from shared.adapters.dynamodb_orders import order_from_item
from shared.domain.order import Order
from shared.domain.refunds import LedgerEntry

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def scan_orders(client: DynamoDBClient, table: str) -> Iterator[Order]:
    pages = client.get_paginator("scan").paginate(
        TableName=table,
        FilterExpression="begins_with(pk, :p) AND sk = :sk",
        ExpressionAttributeValues={":p": {"S": "ORDER#"}, ":sk": {"S": "ORDER"}},
    )
    for page in pages:
        for item in page.get("Items", []):
            yield order_from_item(item)


def scan_refunds(client: DynamoDBClient, table: str) -> Iterator[LedgerEntry]:
    pages = client.get_paginator("scan").paginate(
        TableName=table,
        FilterExpression="begins_with(pk, :p) AND sk = :sk",
        ExpressionAttributeValues={":p": {"S": "KEY#"}, ":sk": {"S": ENTRY_SK}},
    )
    for page in pages:
        for item in page.get("Items", []):
            yield entry_from_item(item)

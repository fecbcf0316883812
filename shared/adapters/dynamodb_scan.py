"""Every order and every ledger entry, by Scan: only for a backfill, a rare administrative job."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from shared.adapters.dynamodb_items import expression_values
from shared.adapters.dynamodb_ledger import ENTRY_SK, entry_from_item
from shared.adapters.dynamodb_orders import order_from_item
from shared.domain.order import Order
from shared.domain.refund_ledger import LedgerEntry

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def _scan(client: DynamoDBClient, table: str, pk_prefix: str, sk: str) -> Iterator[dict[str, Any]]:
    pages = client.get_paginator("scan").paginate(
        TableName=table,
        FilterExpression="begins_with(pk, :p) AND sk = :sk",
        ExpressionAttributeValues=expression_values(p=pk_prefix, sk=sk),
    )
    for page in pages:
        yield from page.get("Items", [])


def scan_orders(client: DynamoDBClient, table: str) -> Iterator[Order]:
    return (order_from_item(item) for item in _scan(client, table, "ORDER#", "ORDER"))


def scan_refunds(client: DynamoDBClient, table: str) -> Iterator[LedgerEntry]:
    return (entry_from_item(item) for item in _scan(client, table, "KEY#", ENTRY_SK))

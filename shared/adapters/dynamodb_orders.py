"""OrderRepository on DynamoDB: one item per order, one per (channel, external_id) capture.

The order document is stored zlib-compressed: DynamoDB bills every write per started KB of the whole
item and every read per 4 KB, an order's JSON is about 6 KB and compresses to under 2, and an order
is written about a dozen times on its way to DELIVERED. Items written as plain JSON still read.

The search indexes' entries (shared/adapters/order_index.py) are written here too: the SKU entries
with the order, a node's entry before the first save that names the node.
"""

from __future__ import annotations

import base64
import json
import time
import zlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared.adapters import order_index
from shared.adapters.dynamodb_items import attr, condition_failed, key, keyed, value
from shared.adapters.order_codec import from_document, to_document
from shared.domain.errors import ConcurrentUpdate
from shared.domain.order import Order
from shared.ports import CaptureRecord, DuplicateCapture

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef


def _packed(doc: str) -> dict[str, Any]:
    return attr(zlib.compress(doc.encode()))


def _unpacked(attribute: Mapping[str, Any]) -> Any:
    """The document of a stored item: compressed bytes from the DynamoDB API, base64 text in a Lambda
    stream event (as AWS delivers Binary attributes), or plain JSON from before compression."""
    if "B" not in attribute:
        return json.loads(attribute["S"])
    packed = attribute["B"]
    return json.loads(zlib.decompress(base64.b64decode(packed) if isinstance(packed, str) else packed))


def _order_key(order_id: str) -> dict[str, Any]:
    return key(f"ORDER#{order_id}", "ORDER")


def _capture_key(channel: str, external_id: str) -> dict[str, Any]:
    return key(f"CAPTURE#{channel}#{external_id}", "CAPTURE")


def is_order_item(item: dict[str, Any]) -> bool:
    return keyed(item, "ORDER#", "ORDER")


def order_from_item(item: dict[str, Any]) -> Order:
    """The order in a stored item (also a stream image)."""
    return from_document(_unpacked(item["doc"]), int(value(item["version"])))


# How many orders' indexed nodes an adapter remembers (from reading them) before it starts afresh.
_REMEMBERED = 10_000
_WRITE_BATCH = 25  # BatchWriteItem's most items per call


class DynamoDBOrders:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self._table = table
        # order id -> the nodes that have its index entry, as last read or written here
        self._indexed_nodes: dict[str, frozenset[str]] = {}

    def add(self, order: Order, body_hash: str) -> None:
        doc = json.dumps(to_document(order))
        order.version = 1
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": {
                                **_capture_key(order.channel, order.external_id),
                                "order_id": attr(order.order_id),
                                "body_hash": attr(body_hash),
                                "snapshot": _packed(doc),
                            },
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": {**_order_key(order.order_id), **self._attributes(order, doc)},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    # at most 50 lines and a pickup node: well within a transaction's 100 items
                    *self._puts(
                        order_index.sku_entries(order)
                        + order_index.node_entries(order, order_index.new_nodes(order, None))
                    ),
                ]
            )
            self._remember(order)
        except ClientError as err:
            if err.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            record = self.find_capture(order.channel, order.external_id)
            if record is None:  # cancelled for another reason (conflict with a concurrent transaction)
                raise ConcurrentUpdate(str(err)) from err
            raise DuplicateCapture(record) from err

    def get(self, order_id: str) -> Order | None:
        item = self._db.get_item(TableName=self._table, Key=_order_key(order_id), ConsistentRead=True).get("Item")
        if item is None:
            return None
        order = order_from_item(item)
        self._remember(order)
        return order

    def find_capture(self, channel: str, external_id: str) -> CaptureRecord | None:
        item = self._db.get_item(
            TableName=self._table, Key=_capture_key(channel, external_id), ConsistentRead=True
        ).get("Item")
        if item is None:
            return None
        snapshot = from_document(_unpacked(item["snapshot"]), 1)
        return CaptureRecord(value(item["order_id"]), value(item["body_hash"]), snapshot)

    def save(self, order: Order) -> None:
        # a node's entry first: an order is never at a node the index cannot find it at
        self._write(
            order_index.node_entries(order, order_index.new_nodes(order, self._indexed_nodes.get(order.order_id)))
        )
        expected = order.version
        order.version = expected + 1
        try:
            self._db.put_item(
                TableName=self._table,
                Item={
                    **_order_key(order.order_id),
                    **self._attributes(order, json.dumps(to_document(order))),
                },
                ConditionExpression="version = :expected",
                ExpressionAttributeValues={":expected": attr(expected)},
            )
        except ClientError as err:
            order.version = expected
            if condition_failed(err):
                raise ConcurrentUpdate(order.order_id) from err
            raise
        self._remember(order)

    def _puts(self, items: list[dict[str, Any]]) -> list[TransactWriteItemTypeDef]:
        return [{"Put": {"TableName": self._table, "Item": item}} for item in items]

    def _remember(self, order: Order) -> None:
        if len(self._indexed_nodes) >= _REMEMBERED:
            self._indexed_nodes.clear()
        self._indexed_nodes[order.order_id] = frozenset(order_index.node_ids(order))

    def _write(self, items: list[dict[str, Any]]) -> None:
        for start in range(0, len(items), _WRITE_BATCH):
            request: dict[str, Any] = {
                self._table: [{"PutRequest": {"Item": item}} for item in items[start : start + _WRITE_BATCH]]
            }
            pause = 0.05
            while request:
                request = dict(self._db.batch_write_item(RequestItems=request).get("UnprocessedItems") or {})
                if request:  # throttled: what is left, after a short backoff
                    time.sleep(pause)
                    pause = min(pause * 2, 1.0)

    @staticmethod
    def _attributes(order: Order, doc: str) -> dict[str, Any]:
        # Imported by the first write: a read needs none of the exception queue's filing rules.
        from shared.adapters.exception_index import queue_attributes

        return {
            "doc": _packed(doc),
            "version": attr(order.version),
            "status": attr(order.status.value),
            "channel": attr(order.channel),
            "created_at": attr(order_index.created_key(order.created_at)),
            **order_index.order_attributes(order),
            **queue_attributes(order),
        }

"""Fulfilment nodes and channel routing policies, in the inventory table.

NODES           <node_id>    a node (JSON), with who last changed it (`updated`)
POLICY#<chan>   POLICY       a channel's routing policy (JSON), with who last changed it (`updated`)
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from shared.adapters.dataclass_json import encode, from_json
from shared.adapters.dynamodb_items import attr, key, value
from shared.adapters.dynamodb_pages import partition_page
from shared.domain.routing import Node, Policy
from shared.ports import Page

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def node_to_json(node: Node) -> str:
    return json.dumps(encode(node), sort_keys=True)


def node_from_json(text: str) -> Node:
    return from_json(Node, json.loads(text))


class DynamoDBNodes:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self._table = table

    def put(self, node: Node) -> bool:
        """Creates or replaces the node; True when it is new."""
        answer = self._db.put_item(
            TableName=self._table,
            Item={"pk": attr("NODES"), "sk": attr(node.node_id), "doc": attr(node_to_json(node))},
            ReturnValues="ALL_OLD",
        )
        return "Attributes" not in answer

    def get(self, node_id: str) -> Node | None:
        item = self._db.get_item(TableName=self._table, Key=key("NODES", node_id)).get("Item")
        return node_from_json(value(item["doc"])) if item else None

    def all(self, *, fresh: bool = False) -> list[Node]:  # noqa: ARG002 (always read from the table)
        pages = self._db.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": attr("NODES")},
        )
        return [node_from_json(value(item["doc"])) for page in pages for item in page["Items"]]

    def page(self, limit: int, after: str | None = None) -> Page[Node]:
        """Up to `limit` nodes by id after the node id `after` (GET /v1/nodes, a page at a time)."""
        found = partition_page(self._db, self._table, "NODES", limit, after)
        return Page([node_from_json(value(item["doc"])) for item in found.items], found.after)


class DynamoDBPolicies:
    def __init__(self, client: DynamoDBClient, table: str, default: Policy | None = None) -> None:
        self._db = client
        self._table = table
        self._default = default or Policy()

    def get(self, channel: str) -> Policy:
        item = self._db.get_item(TableName=self._table, Key=key(f"POLICY#{channel}", "POLICY")).get("Item")
        return from_json(Policy, json.loads(value(item["doc"]))) if item else self._default

    def put(self, channel: str, policy: Policy) -> None:
        self._db.put_item(
            TableName=self._table,
            Item={
                "pk": attr(f"POLICY#{channel}"),
                "sk": attr("POLICY"),
                "doc": attr(json.dumps(encode(policy), sort_keys=True)),
            },
        )

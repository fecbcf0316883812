"""KeyStore on DynamoDB: items keyed by the SHA-256 of the API key; the key itself is never stored."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.adapters.dynamodb_items import attr, value
from shared.domain.principal import Kind, Principal

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class DynamoDBKeys:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self._table = table

    def put(self, key_hash: str, principal: Principal) -> None:
        item: dict[str, Any] = {
            "pk": attr(key_hash),
            "principal_id": attr(principal.principal_id),
            "kind": attr(principal.kind.value),
            "name": attr(principal.name),
            "revoked": attr(principal.revoked),
        }
        if principal.nodes:
            item["nodes"] = attr(set(principal.nodes))
        self._db.put_item(TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(pk)")

    def get(self, key_hash: str) -> Principal | None:
        item = self._db.get_item(TableName=self._table, Key={"pk": attr(key_hash)}).get("Item")
        if item is None:
            return None
        return Principal(
            principal_id=value(item["principal_id"]),
            kind=Kind(value(item["kind"])),
            name=value(item["name"]),
            nodes=tuple(sorted(value(item["nodes"]))) if "nodes" in item else (),
            revoked=value(item["revoked"]),
        )

    def revoke(self, principal_id: str) -> int:
        # Key management is rare and the table small: a scan is simpler than an index kept for it.
        revoked = 0
        paginator = self._db.get_paginator("scan")
        for page in paginator.paginate(
            TableName=self._table,
            FilterExpression="principal_id = :p AND revoked = :f",
            ExpressionAttributeValues={":p": attr(principal_id), ":f": attr(False)},
        ):
            for item in page["Items"]:
                self._db.update_item(
                    TableName=self._table,
                    Key={"pk": item["pk"]},
                    UpdateExpression="SET revoked = :t",
                    ExpressionAttributeValues={":t": attr(True)},
                )
                revoked += 1
        return revoked

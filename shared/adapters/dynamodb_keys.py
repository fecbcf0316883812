"""KeyStore on DynamoDB: items keyed by the SHA-256 of the API key; the key itself is never stored.
Each item keeps who created it and, once revoked, who revoked it (`created`, `revoked_by`: JSON)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from shared.adapters.dataclass_json import decode, encode
from shared.adapters.dynamodb_items import attr, value
from shared.domain.audit import Stamp
from shared.domain.principal import Kind, Principal
from shared.ports import KeyRecord

KEY_ID_LENGTH = 12

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class DynamoDBKeys:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self._table = table

    def put(self, key_hash: str, principal: Principal, created: Stamp | None = None) -> None:
        item: dict[str, Any] = {
            "pk": attr(key_hash),
            "principal_id": attr(principal.principal_id),
            "kind": attr(principal.kind.value),
            "name": attr(principal.name),
            "revoked": attr(principal.revoked),
        }
        if principal.nodes:
            item["nodes"] = attr(set(principal.nodes))
        if created is not None:
            item["created"] = attr(json.dumps(encode(created)))
        self._db.put_item(TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(pk)")

    def get(self, key_hash: str) -> Principal | None:
        item = self._db.get_item(TableName=self._table, Key={"pk": attr(key_hash)}).get("Item")
        return None if item is None else _principal(item)

    def revoke(self, principal_id: str, by: Stamp | None = None) -> int:
        # Key management is rare and the table small: a scan is simpler than an index kept for it.
        revoked = 0
        for item in self._scan(
            FilterExpression="principal_id = :p AND revoked = :f",
            ExpressionAttributeValues={":p": attr(principal_id), ":f": attr(False)},
        ):
            sets, values = ["revoked = :t"], {":t": attr(True)}
            if by is not None:
                sets.append("revoked_by = :by")
                values[":by"] = attr(json.dumps(encode(by)))
            self._db.update_item(
                TableName=self._table,
                Key={"pk": item["pk"]},
                UpdateExpression="SET " + ", ".join(sets),
                ExpressionAttributeValues=values,
            )
            revoked += 1
        return revoked

    def records(self) -> list[KeyRecord]:
        return [
            KeyRecord(
                key_id=value(item["pk"])[:KEY_ID_LENGTH],
                principal=_principal(item),
                created=_stamp(item, "created"),
                revoked=_stamp(item, "revoked_by"),
            )
            for item in self._scan()
        ]

    def _scan(self, **filters: Any) -> list[dict[str, Any]]:
        pages = self._db.get_paginator("scan").paginate(TableName=self._table, **filters)
        return [item for page in pages for item in page["Items"]]


def _stamp(item: dict[str, Any], name: str) -> Stamp | None:
    found: Stamp | None = decode(Stamp, json.loads(value(item[name]))) if name in item else None
    return found


def _principal(item: dict[str, Any]) -> Principal:
    return Principal(
        principal_id=value(item["principal_id"]),
        kind=Kind(value(item["kind"])),
        name=value(item["name"]),
        nodes=tuple(sorted(value(item["nodes"]))) if "nodes" in item else (),
        revoked=value(item["revoked"]),
    )

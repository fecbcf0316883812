"""The shard items of a sharded (sku, node) in the inventory table (docs/hot-sku.md).

  SKU#<sku>  NODE#<node>        shard 0: the (sku, node)'s own stock item, with `shards` = K when K > 1
  SKU#<sku>  NODE#<node>#S<k>   shard k (1..K-1): on_hand, reserved, unreserved, available

An unsharded (sku, node) has no `shards` attribute and no shard items: its layout is unchanged. One
Query on the key range `NODE#<node>` .. `NODE#<node>#S~` reads the base item and every shard (a
node id has no `#`, so no other node's item falls in the range).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared.adapters.dynamodb_items import attr, cancellation_reasons, condition_failed, key, raise_if_transient, value
from shared.domain.inventory import StockLevel
from shared.domain.shards import Move, Shard

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

SHARD_MARK = "#S"


def shard_sk(node_id: str, index: int) -> str:
    return f"NODE#{node_id}" if index == 0 else f"NODE#{node_id}{SHARD_MARK}{index}"


def node_and_shard(sk: str) -> tuple[str, int]:
    node, _, index = sk.removeprefix("NODE#").partition(SHARD_MARK)
    return node, int(index) if index else 0


def _int(item: dict[str, Any], name: str) -> int:
    return int(value(item[name])) if name in item else 0


def shard_of(item: dict[str, Any]) -> Shard:
    return Shard(
        node_and_shard(value(item["sk"]))[1], _int(item, "on_hand"), _int(item, "reserved"), _int(item, "available")
    )


def summed(sku: str, node_id: str, items: Iterable[dict[str, Any]]) -> StockLevel:
    """One (sku, node)'s level from its base item and shard items: the counters summed, the settings
    and the shard count from the base item."""
    base: dict[str, Any] = {}
    on_hand = reserved = 0
    for item in items:
        if node_and_shard(value(item["sk"]))[1] == 0:
            base = item
        on_hand += _int(item, "on_hand")
        reserved += _int(item, "reserved")
    return StockLevel(
        sku=sku,
        node_id=node_id,
        on_hand=on_hand,
        reserved=reserved,
        safety_stock=_int(base, "safety"),
        reorder_point=_int(base, "reorder_point") if "reorder_point" in base else None,
        reorder_quantity=_int(base, "reorder_quantity") if "reorder_quantity" in base else None,
        shards=_int(base, "shards") or 1,
    )


def counters(
    table: str, sku: str, node_id: str, index: int, on_hand: int, reserved: int = 0, released: int = 0
) -> dict[str, Any]:
    """An Update adding to one shard's counters: `on_hand` units in (negative: out), `reserved` more
    reserved, `released` units no longer reserved. A missing shard item starts at zero."""
    unreserved = on_hand - reserved + released
    return {
        "TableName": table,
        "Key": key(f"SKU#{sku}", shard_sk(node_id, index)),
        "UpdateExpression": (
            "SET on_hand = if_not_exists(on_hand, :zero) + :h, reserved = if_not_exists(reserved, :zero) + :r, "
            "unreserved = if_not_exists(unreserved, :zero) + :u, available = if_not_exists(available, :zero) + :u"
        ),
        "ExpressionAttributeValues": {
            ":zero": attr(0),
            ":h": attr(on_hand),
            ":r": attr(reserved - released),
            ":u": attr(unreserved),
        },
    }


def guarded(update: dict[str, Any], condition: str, **values: int) -> dict[str, Any]:
    """The update with one more condition (ANDed with any it has: neither may have a bare OR)."""
    found = update.get("ConditionExpression")
    merged = dict(update)
    merged["ConditionExpression"] = f"{found} AND {condition}" if found else condition
    merged["ExpressionAttributeValues"] = {
        **update["ExpressionAttributeValues"],
        **{f":{name}": attr(n) for name, n in values.items()},
    }
    return merged


class ShardedStock:
    """Reads and writes of a (sku, node)'s shards; DynamoDBInventory builds on them."""

    _db: DynamoDBClient
    _table: str

    def shards_of(self, sku: str, node_id: str) -> tuple[StockLevel, list[Shard]]:
        """The (sku, node)'s level and each shard's counters, in one consistent Query."""
        items = self._pair_items(sku, node_id)
        return summed(sku, node_id, items), sorted((shard_of(i) for i in items), key=lambda s: s.index)

    def _pair_items(self, sku: str, node_id: str) -> list[dict[str, Any]]:
        pages = self._db.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :base AND :last",
            ExpressionAttributeValues={
                ":pk": attr(f"SKU#{sku}"),
                ":base": attr(f"NODE#{node_id}"),
                ":last": attr(f"NODE#{node_id}{SHARD_MARK}~"),
            },
            ConsistentRead=True,
        )
        return [item for page in pages for item in page["Items"]]

    def set_shards(self, sku: str, node_id: str, count: int) -> bool:
        """Sets the shard count of the (sku, node) (its base item is created if none was ever received);
        False, with nothing changed, when it has more shards already (the count only rises)."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=key(f"SKU#{sku}", shard_sk(node_id, 0)),
                UpdateExpression=(
                    "SET shards = :k, on_hand = if_not_exists(on_hand, :zero), "
                    "reserved = if_not_exists(reserved, :zero), unreserved = if_not_exists(unreserved, :zero), "
                    "available = if_not_exists(available, :zero), safety = if_not_exists(safety, :zero)"
                ),
                ConditionExpression="attribute_not_exists(shards) OR shards <= :k",
                ExpressionAttributeValues={":k": attr(count), ":zero": attr(0)},
            )
        except ClientError as err:
            if condition_failed(err):
                return False
            raise
        return True

    def move_units(self, sku: str, node_id: str, move: Move) -> bool:
        """Moves units between two shards in one transaction, if the source can still promise them;
        False (nothing moved) when it cannot any more. The total never changes."""
        source = guarded(counters(self._table, sku, node_id, move.source, -move.units), "available >= :n", n=move.units)
        target = counters(self._table, sku, node_id, move.target, move.units)
        items: list[Any] = [{"Update": source}, {"Update": target}]
        try:
            self._db.transact_write_items(TransactItems=items)
        except ClientError as err:
            raise_if_transient(err, cancellation_reasons(err))
            return False
        return True

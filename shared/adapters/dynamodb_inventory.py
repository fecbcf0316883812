"""Inventory on DynamoDB: stock per (sku, node), reservations, adjustments, reorder suggestions and
the backorder queue, in one table.

  SKU#<sku>        NODE#<node>              stock: on_hand, reserved, safety, unreserved, available, reorder_*
                                            (and `shards` when the pair is sharded, docs/hot-sku.md)
  SKU#<sku>        NODE#<node>#S<k>         shard k of a sharded pair (shared/adapters/dynamodb_shards.py)
  RES#<order>      NODE#<node>              a reservation: lines, status, day
  CAP#<node>       DAY#<yyyy-mm-dd>         shipments planned that day (daily capacity)
  ADJ#<reference>  ADJ                      an applied adjustment (idempotency on reference): what moved, who, why
  REORDER          <sku>#<node>             an open purchase-order suggestion
  BACKORDER#<sku>  <priority>#<at>#<order>  backordered orders in allocation order
  CLAIM#<order>    CLAIM                    who is routing the order now (a lease)

Every change is a conditional write (a transaction per node for reservations), never a
read-then-write: concurrent orders cannot oversell.
"""

from __future__ import annotations

import json
import zlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared.adapters.dataclass_json import decode, encode
from shared.adapters.dynamodb_items import attr, cancellation_reasons, condition_failed, key, raise_if_transient, value
from shared.adapters.dynamodb_pages import partition_page
from shared.adapters.dynamodb_shards import ShardedStock, counters, guarded, node_and_shard, summed
from shared.domain.audit import Stamp
from shared.domain.inventory import (
    AdjustmentType,
    AppliedAdjustment,
    ReorderSuggestion,
    Reservation,
    StockChange,
    StockLevel,
)
from shared.domain.shards import placement, start_shard, take
from shared.ports import AdjustmentReplay, Page, StockChanged

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def _int(item: dict[str, Any], name: str, default: int = 0) -> int:
    return int(value(item[name])) if name in item else default


# A reservation on a sharded pair tries its hashed shard first, then reads the shards and plans again
# after each lost race, this many times at most before it answers "out of stock".
RESERVE_PLANS = 8


def _takes(stored: str) -> dict[str, dict[int, int]]:
    return {sku: {int(i): int(n) for i, n in shards.items()} for sku, shards in json.loads(stored).items()}


class DynamoDBInventory(ShardedStock):
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self._table = table
        # The shard count of each sharded pair as this environment last read it: a reservation (whose
        # callers read the stock just before) spreads over the shards with it. A stale count costs a
        # retry, never correctness: every shard carries its own condition.
        self._shard_counts: dict[tuple[str, str], int] = {}

    # --- stock ---------------------------------------------------------------------------------

    def stock_of(self, sku: str, consistent: bool = True) -> list[StockLevel]:
        pages = self._db.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": attr(f"SKU#{sku}")},
            ConsistentRead=consistent,
        )
        by_node: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for page in pages:
            for item in page["Items"]:
                by_node[node_and_shard(value(item["sk"]))[0]].append(item)
        return [self._seen(summed(sku, node, items)) for node, items in by_node.items()]

    def _seen(self, level: StockLevel) -> StockLevel:
        if level.shards > 1:
            self._shard_counts[(level.sku, level.node_id)] = level.shards
        return level

    def stock_for(self, skus: Iterable[str], consistent: bool = True) -> dict[tuple[str, str], StockLevel]:
        return {(lvl.sku, lvl.node_id): lvl for sku in sorted(set(skus)) for lvl in self.stock_of(sku, consistent)}

    def levels(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], StockLevel]:
        wanted = sorted(set(pairs))
        found = {
            (value(item["pk"]).removeprefix("SKU#"), value(item["sk"]).removeprefix("NODE#")): item
            for item in self._batch_get([self._stock_key(sku, node) for sku, node in wanted])
        }
        levels = {
            (sku, node): self._seen(summed(sku, node, [found[(sku, node)]]))
            if (sku, node) in found
            else StockLevel(sku, node)
            for sku, node in wanted
        }
        # a sharded pair's base item holds shard 0 only: read its shards too (unsharded pairs: no extra read)
        return {pair: self.shards_of(*pair)[0] if level.shards > 1 else level for pair, level in levels.items()}

    def levels_at(self, node_id: str, skus: Iterable[str]) -> dict[str, StockLevel]:
        """Stock of these skus at one node (zero where none was ever received), in one round trip."""
        return {sku: level for (sku, _), level in self.levels((sku, node_id) for sku in skus).items()}

    def _batch_get(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Every item of these keys that exists, 100 keys a request, until none is left unprocessed."""
        items: list[dict[str, Any]] = []
        for start in range(0, len(keys), 100):
            batch: list[Any] = keys[start : start + 100]
            while batch:
                answer = self._db.batch_get_item(RequestItems={self._table: {"Keys": batch, "ConsistentRead": True}})
                items.extend(answer["Responses"].get(self._table, []))
                unprocessed: Any = answer.get("UnprocessedKeys", {})
                batch = unprocessed.get(self._table, {}).get("Keys", [])
        return items

    def _stock_key(self, sku: str, node_id: str) -> dict[str, Any]:
        return key(f"SKU#{sku}", f"NODE#{node_id}")

    # --- adjustments -----------------------------------------------------------------------------

    def adjust(
        self,
        reference: str,
        body_hash: str,
        node_id: str,
        changes: list[StockChange],
        at: datetime,
        stamp: Stamp | None = None,
        kind: AdjustmentType | None = None,
    ) -> None:
        """Applies every change or none. AdjustmentReplay if the reference was used before;
        StockChanged if a line's condition failed (too few free units, or a concurrent change)."""
        record: dict[str, Any] = {
            "pk": attr(f"ADJ#{reference}"),
            "sk": attr("ADJ"),
            "body_hash": attr(body_hash),
            "node_id": attr(node_id),
            "at": attr(at.isoformat()),
            "changes": attr(json.dumps([[c.sku, c.on_hand_delta] for c in changes])),
        }
        if stamp is not None:
            record["stamp"] = attr(json.dumps(encode(stamp)))
        if kind is not None:
            record["type"] = attr(kind.value)
        items: list[Any] = [
            {"Put": {"TableName": self._table, "Item": record, "ConditionExpression": "attribute_not_exists(pk)"}}
        ]
        for change in changes:
            items += (
                self._sharded(reference, node_id, change)
                if change.shards > 1
                else [{"Update": self._change(node_id, change)}]
            )
        try:
            self._db.transact_write_items(TransactItems=items)
        except ClientError as err:
            reasons = cancellation_reasons(err)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                item = self._db.get_item(
                    TableName=self._table,
                    Key=key(f"ADJ#{reference}", "ADJ"),
                    ConsistentRead=True,
                )["Item"]
                raise AdjustmentReplay(value(item["body_hash"])) from err
            if reasons:
                raise StockChanged(str(reasons)) from err
            raise

    def adjustment(self, reference: str) -> AppliedAdjustment | None:
        item = self._db.get_item(TableName=self._table, Key=key(f"ADJ#{reference}", "ADJ")).get("Item")
        if item is None:
            return None
        return AppliedAdjustment(
            reference=reference,
            node_id=value(item["node_id"]),
            type=AdjustmentType(value(item["type"])) if "type" in item else None,
            # adjustments applied before their changes were kept show none
            changes=tuple((sku, int(n)) for sku, n in json.loads(value(item["changes"]))) if "changes" in item else (),
            stamp=decode(Stamp, json.loads(value(item["stamp"]))) if "stamp" in item else None,
        )

    def adjustment_hash(self, reference: str) -> str | None:
        """The body hash of the adjustment applied under this reference, if any."""
        item = self._db.get_item(TableName=self._table, Key=key(f"ADJ#{reference}", "ADJ"), ConsistentRead=True).get(
            "Item"
        )
        return value(item["body_hash"]) if item else None

    def _sharded(self, reference: str, node_id: str, change: StockChange) -> list[dict[str, Any]]:
        """A sharded pair's part of an adjustment: the units placed over its shards (shared/domain/shards.py),
        each shard conditioned as the one item of an unsharded pair is; a count also checks that no
        shard's on hand moved since it was read."""
        level, shards = self.shards_of(change.sku, node_id)
        counting = change.count_seen is not None
        if counting and level.on_hand != change.count_seen:
            raise StockChanged(f"on hand of {change.sku} changed since it was counted")
        seen, new = change.safety_stock or (level.safety_stock, level.safety_stock)
        start = zlib.crc32(reference.encode()) % change.shards
        try:
            moves = placement(shards, change.shards, change.on_hand_delta, new - seen, start)
        except ValueError as err:
            raise StockChanged(f"{change.sku}: {err}") from err
        read = {s.index: s for s in shards}
        home = read.get(0)
        home_change = replace(
            change, on_hand_delta=moves.get(0, 0), count_seen=(home.on_hand if home else 0) if counting else None
        )
        update = self._change(node_id, home_change)
        floor = (new - seen) - moves.get(0, 0)  # shard 0 still covers its safety stock after this
        if any(n > 0 for i, n in moves.items() if i) and (home.available if home else 0) >= floor:
            update = guarded(update, "available >= :floor", floor=floor)
        items: list[dict[str, Any]] = [{"Update": update}]
        for index in sorted((set(moves) | (set(read) if counting else set())) - {0}):
            n = moves.get(index, 0)
            shard = counters(self._table, change.sku, node_id, index, n)
            if n < 0:
                shard = guarded(shard, "available >= :n", n=-n)
            if counting:
                shard = (
                    guarded(shard, "on_hand = :seen", seen=read[index].on_hand)
                    if index in read
                    else guarded(shard, "attribute_not_exists(on_hand)")
                )
            if n:
                items.append({"Update": shard})
            else:  # a count that leaves this shard as it is still needs it unchanged
                check = {k: shard[k] for k in ("TableName", "Key", "ConditionExpression")}
                check["ExpressionAttributeValues"] = {":seen": shard["ExpressionAttributeValues"][":seen"]}
                items.append({"ConditionCheck": check})
        return items

    def _change(self, node_id: str, change: StockChange) -> dict[str, Any]:
        sets = ["reserved = if_not_exists(reserved, :zero)"]
        values: dict[str, Any] = {":zero": attr(0)}
        conditions: list[str] = []
        available_delta = change.on_hand_delta
        if change.safety_stock is not None:
            seen, new = change.safety_stock
            sets.append("safety = :safety")
            values[":safety"], values[":safety_seen"] = attr(new), attr(seen)
            conditions.append("(attribute_not_exists(safety) AND :safety_seen = :zero OR safety = :safety_seen)")
            available_delta += seen - new
        else:
            sets.append("safety = if_not_exists(safety, :zero)")
        sets += [
            "on_hand = if_not_exists(on_hand, :zero) + :d",
            "unreserved = if_not_exists(unreserved, :zero) + :d",
            "available = if_not_exists(available, :zero) + :a",
        ]
        values[":d"], values[":a"] = attr(change.on_hand_delta), attr(available_delta)
        if change.on_hand_delta < 0:
            conditions.append("unreserved >= :taken")
            values[":taken"] = attr(-change.on_hand_delta)
        if change.count_seen is not None:
            conditions.append("(attribute_not_exists(on_hand) AND :seen = :zero OR on_hand = :seen)")
            values[":seen"] = attr(change.count_seen)
        if change.reorder is not None:
            point, quantity = change.reorder
            if point is not None:
                sets.append("reorder_point = :rp")
                values[":rp"] = attr(point)
            if quantity is not None:
                sets.append("reorder_quantity = :rq")
                values[":rq"] = attr(quantity)
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": self._stock_key(change.sku, node_id),
            "UpdateExpression": "SET " + ", ".join(sets),
            "ExpressionAttributeValues": values,
        }
        if conditions:
            update["ConditionExpression"] = " AND ".join(conditions)
        return update

    # --- reservations ------------------------------------------------------------------------------

    def reserve(self, order_id: str, node_id: str, quantities: dict[str, int], day: str, capacity: int | None) -> bool:
        """One transaction at one node: the reservation record, every sku's counters, the day's
        capacity. True when reserved (now or by an earlier attempt); False when stock or capacity
        ran out, in which case nothing was written. A sharded sku takes its units from the shard its
        order hashes to; after a lost race, from the shards a fresh read shows holding them."""
        sharded = {
            sku: self._shard_counts[(sku, node_id)] for sku in quantities if (sku, node_id) in self._shard_counts
        }
        plans = {sku: {start_shard(order_id, sku, k): quantities[sku]} for sku, k in sharded.items()}
        for _ in range(RESERVE_PLANS):
            answer = self._reserve(order_id, node_id, quantities, day, capacity, plans)
            if isinstance(answer, bool):
                return answer
            for sku in answer:  # the shards of these skus could not give what was planned: read them
                _, shards = self.shards_of(sku, node_id)
                start = start_shard(order_id, sku, sharded[sku])
                plan = take([s for s in shards if s.index < sharded[sku]], quantities[sku], start)
                if plan is None:
                    return False  # the shards together hold too few
                plans[sku] = plan
        return False

    def _reserve(
        self,
        order_id: str,
        node_id: str,
        quantities: dict[str, int],
        day: str,
        capacity: int | None,
        plans: dict[str, dict[int, int]],
    ) -> bool | set[str]:
        """One attempt: True or False as `reserve` answers, or the sharded skus whose planned shards
        could not give their units (nothing was written; plan again)."""
        record: dict[str, Any] = {
            "pk": attr(f"RES#{order_id}"),
            "sk": attr(f"NODE#{node_id}"),
            "quantities": attr(json.dumps(quantities, sort_keys=True)),
            "status": attr("reserved"),
            "day": attr(day),
            "capacity_counted": attr(capacity is not None),
        }
        if plans:
            record["takes"] = attr(json.dumps(plans, sort_keys=True))
        items: list[Any] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": record,
                    # a released reservation (an earlier attempt that gave its units back) is replaced
                    "ConditionExpression": "attribute_not_exists(pk) OR #s = :released",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": {":released": attr("released")},
                }
            }
        ]
        owners: list[str | None] = [None]  # the sharded sku each item takes units for
        for sku, quantity in sorted(quantities.items()):
            if sku in plans:
                for index, n in sorted(plans[sku].items()):
                    update = counters(self._table, sku, node_id, index, 0, reserved=n)
                    items.append({"Update": guarded(update, "available >= :n", n=n)})
                    owners.append(sku)
                continue
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": self._stock_key(sku, node_id),
                        "UpdateExpression": (
                            "SET reserved = reserved + :q, unreserved = unreserved - :q, available = available - :q"
                        ),
                        "ConditionExpression": "available >= :q",
                        "ExpressionAttributeValues": {":q": attr(quantity)},
                    }
                }
            )
            owners.append(None)
        if capacity is not None:
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": key(f"CAP#{node_id}", f"DAY#{day}"),
                        "UpdateExpression": "SET used = if_not_exists(used, :zero) + :one",
                        "ConditionExpression": "attribute_not_exists(used) OR used < :cap",
                        "ExpressionAttributeValues": {":zero": attr(0), ":one": attr(1), ":cap": attr(capacity)},
                    }
                }
            )
            owners.append(None)
        try:
            self._db.transact_write_items(TransactItems=items)
        except ClientError as err:
            reasons = cancellation_reasons(err)
            raise_if_transient(err, reasons)
            if reasons[0] == "ConditionalCheckFailed":
                # the record is live: an earlier attempt of this step reserved here (or it shipped)
                existing = next((r for r in self.reservations(order_id) if r.node_id == node_id), None)
                return existing is not None and existing.status in ("reserved", "consumed")
            failed = [
                owner for owner, reason in zip(owners, reasons, strict=False) if reason == "ConditionalCheckFailed"
            ]
            if None in failed or not failed:
                return False  # an unsharded sku's stock, or the capacity, ran out: nothing was written
            return {sku for sku in failed if sku is not None}
        return True

    def reservations(self, order_id: str) -> list[Reservation]:
        items = self._db.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": attr(f"RES#{order_id}")},
            ConsistentRead=True,
        )["Items"]
        return [
            Reservation(
                order_id,
                value(item["sk"]).removeprefix("NODE#"),
                json.loads(value(item["quantities"])),
                value(item["status"]),
                value(item["day"]),
                value(item["capacity_counted"]),
                _takes(value(item["takes"])) if "takes" in item else None,
            )
            for item in items
        ]

    def release(self, reservation: Reservation) -> bool:
        """Gives the units (and the day's shipment) back; False if already released or consumed."""
        return self._settle(reservation, "released", reservation.capacity_counted)

    def consume(self, reservation: Reservation) -> bool:
        """The units left the building: on hand and reserved both go down."""
        return self._settle(reservation, "consumed", False)

    def _settle(self, res: Reservation, status: str, give_back_capacity: bool) -> bool:
        expression = (
            "SET reserved = reserved - :q, unreserved = unreserved + :q, available = available + :q"
            if status == "released"
            else "SET reserved = reserved - :q, on_hand = on_hand - :q"
        )
        items: list[Any] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": key(f"RES#{res.order_id}", f"NODE#{res.node_id}"),
                    "UpdateExpression": "SET #s = :new",
                    "ConditionExpression": "#s = :reserved",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": {":new": attr(status), ":reserved": attr("reserved")},
                }
            }
        ]
        takes = res.takes or {}
        items += [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": self._stock_key(sku, res.node_id),
                    "UpdateExpression": expression,
                    "ExpressionAttributeValues": {":q": attr(quantity)},
                }
            }
            for sku, quantity in sorted(res.quantities.items())
            if sku not in takes
        ]
        for sku, shards in sorted(takes.items()):
            items += [{"Update": u} for u in self._settle_shards(sku, res.node_id, shards, status)]
        if give_back_capacity:
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": key(f"CAP#{res.node_id}", f"DAY#{res.day}"),
                        "UpdateExpression": "SET used = used - :one",
                        "ConditionExpression": "used > :zero",
                        "ExpressionAttributeValues": {":one": attr(1), ":zero": attr(0)},
                    }
                }
            )
        try:
            self._db.transact_write_items(TransactItems=items)
        except ClientError as err:
            reasons = cancellation_reasons(err)
            raise_if_transient(err, reasons)
            return False  # not reserved any more: released or consumed already
        return True

    def _settle_shards(self, sku: str, node_id: str, shards: dict[int, int], status: str) -> list[dict[str, Any]]:
        """A sharded sku's units settled at the shards they were taken from. Consumed, they leave those
        shards; released, they go back to shard 0, which covers the safety stock (shared/domain/shards.py)."""
        if status == "consumed":
            return [counters(self._table, sku, node_id, i, -n, released=n) for i, n in sorted(shards.items())]
        updates = [counters(self._table, sku, node_id, i, -n, released=n) for i, n in sorted(shards.items()) if i]
        home = sum(n for i, n in shards.items() if i)
        updates.append(counters(self._table, sku, node_id, 0, home, released=shards.get(0, 0)))
        return updates

    def capacity_used(self, node_ids: Iterable[str], day: str) -> dict[str, int]:
        items = self._batch_get([key(f"CAP#{n}", f"DAY#{day}") for n in sorted(set(node_ids))])
        return {value(item["pk"]).removeprefix("CAP#"): _int(item, "used") for item in items}

    # --- routing claims ---------------------------------------------------------------------------

    def claim(self, order_id: str, owner: str, now: float, lease_s: int) -> bool:
        """Takes (or, for its owner, extends) the order's routing lease; False while another attempt
        holds an unexpired one."""
        try:
            self._db.put_item(
                TableName=self._table,
                Item={
                    "pk": attr(f"CLAIM#{order_id}"),
                    "sk": attr("CLAIM"),
                    "owner": attr(owner),
                    "expires": attr(int(now) + lease_s),
                },
                ConditionExpression="attribute_not_exists(pk) OR expires < :now OR #o = :owner",
                ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues={":now": attr(int(now)), ":owner": attr(owner)},
            )
        except ClientError as err:
            if condition_failed(err):
                return False
            raise
        return True

    def unclaim(self, order_id: str, owner: str) -> None:
        try:
            self._db.delete_item(
                TableName=self._table,
                Key=key(f"CLAIM#{order_id}", "CLAIM"),
                ConditionExpression="#o = :owner",
                ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues={":owner": attr(owner)},
            )
        except ClientError as err:
            if not condition_failed(err):
                raise

    # --- reorder suggestions ------------------------------------------------------------------------

    def suggest_reorder(self, suggestion: ReorderSuggestion, at: datetime) -> bool:
        """Records an open suggestion unless one is already open for the (sku, node)."""
        try:
            self._db.put_item(
                TableName=self._table,
                Item={
                    "pk": attr("REORDER"),
                    "sk": attr(f"{suggestion.sku}#{suggestion.node_id}"),
                    "sku": attr(suggestion.sku),
                    "node_id": attr(suggestion.node_id),
                    "quantity": attr(suggestion.quantity),
                    "available": attr(suggestion.available),
                    "reorder_point": attr(suggestion.reorder_point),
                    "at": attr(at.isoformat()),
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as err:
            if condition_failed(err):
                return False
            raise
        return True

    def close_reorder(self, sku: str, node_id: str) -> None:
        self._db.delete_item(TableName=self._table, Key=key("REORDER", f"{sku}#{node_id}"))

    def reorder_suggestions(self, limit: int, after: str | None = None) -> Page[dict[str, Any]]:
        """Up to `limit` open suggestions by (sku, node), after the position "<sku>#<node>" `after`."""
        found = partition_page(self._db, self._table, "REORDER", limit, after)
        suggestions = [
            {
                "sku": value(item["sku"]),
                "node_id": value(item["node_id"]),
                "quantity": _int(item, "quantity"),
                "available": _int(item, "available"),
                "reorder_point": _int(item, "reorder_point"),
                "suggested_at": value(item["at"]),
            }
            for item in found.items
        ]
        return Page(suggestions, found.after)

    # --- backorders -------------------------------------------------------------------------------

    def add_backorder(self, order_id: str, skus: Iterable[str], priority: int, created_at: datetime) -> None:
        for sku in sorted(set(skus)):
            self._db.put_item(
                TableName=self._table,
                Item={
                    "pk": attr(f"BACKORDER#{sku}"),
                    "sk": attr(f"{priority:05d}#{created_at.isoformat()}#{order_id}"),
                    "order_id": attr(order_id),
                },
            )

    def remove_backorder(self, order_id: str, skus: Iterable[str], priority: int, created_at: datetime) -> None:
        for sku in sorted(set(skus)):
            self._db.delete_item(
                TableName=self._table,
                Key={
                    "pk": attr(f"BACKORDER#{sku}"),
                    "sk": attr(f"{priority:05d}#{created_at.isoformat()}#{order_id}"),
                },
            )

    def backorders(self, sku: str) -> list[str]:
        """Backordered order ids for the sku, in allocation order: priority, then oldest first."""
        pages = self._db.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": attr(f"BACKORDER#{sku}")},
            ConsistentRead=True,
        )
        return [value(item["order_id"]) for page in pages for item in page["Items"]]

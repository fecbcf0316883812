"""Inventory on DynamoDB: stock per (sku, node), reservations, adjustments, reorder suggestions and
the backorder queue, in one table.

  SKU#<sku>        NODE#<node>              stock: on_hand, reserved, safety, unreserved, available, reorder_*
  RES#<order>      NODE#<node>              a reservation: lines, status, day
  CAP#<node>       DAY#<yyyy-mm-dd>         shipments planned that day (daily capacity)
  ADJ#<reference>  ADJ                      an applied adjustment (idempotency on reference)
  REORDER          <sku>#<node>             an open purchase-order suggestion
  BACKORDER#<sku>  <priority>#<at>#<order>  backordered orders in allocation order
  CLAIM#<order>    CLAIM                    who is routing the order now (a lease)

Every change is a conditional write (a transaction per node for reservations), never a
read-then-write: concurrent orders cannot oversell.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared.domain.inventory import ReorderSuggestion, Reservation, StockChange, StockLevel
from shared.ports import AdjustmentReplay, StockChanged

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def _int(item: dict[str, Any], name: str, default: int = 0) -> int:
    return int(item[name]["N"]) if name in item else default


class DynamoDBInventory:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self._table = table

    # --- stock ---------------------------------------------------------------------------------

    def stock_of(self, sku: str) -> list[StockLevel]:
        pages = self._db.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"SKU#{sku}"}},
            ConsistentRead=True,
        )
        return [self._level(sku, item) for page in pages for item in page["Items"]]

    def stock_for(self, skus: Iterable[str]) -> dict[tuple[str, str], StockLevel]:
        return {(lvl.sku, lvl.node_id): lvl for sku in sorted(set(skus)) for lvl in self.stock_of(sku)}

    def levels_at(self, node_id: str, skus: Iterable[str]) -> dict[str, StockLevel]:
        """Stock of these skus at one node (zero where none was ever received), in one round trip."""
        wanted = sorted(set(skus))
        found: dict[str, StockLevel] = {}
        for start in range(0, len(wanted), 100):
            keys: list[Any] = [self._stock_key(sku, node_id) for sku in wanted[start : start + 100]]
            while keys:
                answer = self._db.batch_get_item(RequestItems={self._table: {"Keys": keys, "ConsistentRead": True}})
                for item in answer["Responses"].get(self._table, []):
                    sku = item["pk"]["S"].removeprefix("SKU#")
                    found[sku] = self._level(sku, item)
                unprocessed: Any = answer.get("UnprocessedKeys", {})
                keys = unprocessed.get(self._table, {}).get("Keys", [])
        return {sku: found.get(sku, StockLevel(sku, node_id)) for sku in wanted}

    @staticmethod
    def _level(sku: str, item: dict[str, Any]) -> StockLevel:
        return StockLevel(
            sku=sku,
            node_id=item["sk"]["S"].removeprefix("NODE#"),
            on_hand=_int(item, "on_hand"),
            reserved=_int(item, "reserved"),
            safety_stock=_int(item, "safety"),
            reorder_point=_int(item, "reorder_point") if "reorder_point" in item else None,
            reorder_quantity=_int(item, "reorder_quantity") if "reorder_quantity" in item else None,
        )

    def _stock_key(self, sku: str, node_id: str) -> dict[str, Any]:
        return {"pk": {"S": f"SKU#{sku}"}, "sk": {"S": f"NODE#{node_id}"}}

    # --- adjustments -----------------------------------------------------------------------------

    def adjust(self, reference: str, body_hash: str, node_id: str, changes: list[StockChange], at: datetime) -> None:
        """Applies every change or none. AdjustmentReplay if the reference was used before;
        StockChanged if a line's condition failed (too few free units, or a concurrent change)."""
        items: list[Any] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        "pk": {"S": f"ADJ#{reference}"},
                        "sk": {"S": "ADJ"},
                        "body_hash": {"S": body_hash},
                        "node_id": {"S": node_id},
                        "at": {"S": at.isoformat()},
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        items += [{"Update": self._change(node_id, change)} for change in changes]
        try:
            self._db.transact_write_items(TransactItems=items)
        except ClientError as err:
            reasons = _cancellation_codes(err)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                item = self._db.get_item(
                    TableName=self._table,
                    Key={"pk": {"S": f"ADJ#{reference}"}, "sk": {"S": "ADJ"}},
                    ConsistentRead=True,
                )["Item"]
                raise AdjustmentReplay(item["body_hash"]["S"]) from err
            if reasons:
                raise StockChanged(str(reasons)) from err
            raise

    def adjustment_hash(self, reference: str) -> str | None:
        """The body hash of the adjustment applied under this reference, if any."""
        item = self._db.get_item(
            TableName=self._table, Key={"pk": {"S": f"ADJ#{reference}"}, "sk": {"S": "ADJ"}}, ConsistentRead=True
        ).get("Item")
        return item["body_hash"]["S"] if item else None

    def _change(self, node_id: str, change: StockChange) -> dict[str, Any]:
        sets = ["reserved = if_not_exists(reserved, :zero)"]
        values: dict[str, Any] = {":zero": _n(0)}
        conditions: list[str] = []
        available_delta = change.on_hand_delta
        if change.safety_stock is not None:
            seen, new = change.safety_stock
            sets.append("safety = :safety")
            values[":safety"], values[":safety_seen"] = _n(new), _n(seen)
            conditions.append("(attribute_not_exists(safety) AND :safety_seen = :zero OR safety = :safety_seen)")
            available_delta += seen - new
        else:
            sets.append("safety = if_not_exists(safety, :zero)")
        sets += [
            "on_hand = if_not_exists(on_hand, :zero) + :d",
            "unreserved = if_not_exists(unreserved, :zero) + :d",
            "available = if_not_exists(available, :zero) + :a",
        ]
        values[":d"], values[":a"] = _n(change.on_hand_delta), _n(available_delta)
        if change.on_hand_delta < 0:
            conditions.append("unreserved >= :taken")
            values[":taken"] = _n(-change.on_hand_delta)
        if change.count_seen is not None:
            conditions.append("(attribute_not_exists(on_hand) AND :seen = :zero OR on_hand = :seen)")
            values[":seen"] = _n(change.count_seen)
        if change.reorder is not None:
            point, quantity = change.reorder
            if point is not None:
                sets.append("reorder_point = :rp")
                values[":rp"] = _n(point)
            if quantity is not None:
                sets.append("reorder_quantity = :rq")
                values[":rq"] = _n(quantity)
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
        ran out, in which case nothing was written."""
        items: list[Any] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        "pk": {"S": f"RES#{order_id}"},
                        "sk": {"S": f"NODE#{node_id}"},
                        "quantities": {"S": json.dumps(quantities, sort_keys=True)},
                        "status": {"S": "reserved"},
                        "day": {"S": day},
                        "capacity_counted": {"BOOL": capacity is not None},
                    },
                    # a released reservation (an earlier attempt that gave its units back) is replaced
                    "ConditionExpression": "attribute_not_exists(pk) OR #s = :released",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": {":released": {"S": "released"}},
                }
            }
        ]
        for sku, quantity in sorted(quantities.items()):
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": self._stock_key(sku, node_id),
                        "UpdateExpression": (
                            "SET reserved = reserved + :q, unreserved = unreserved - :q, available = available - :q"
                        ),
                        "ConditionExpression": "available >= :q",
                        "ExpressionAttributeValues": {":q": _n(quantity)},
                    }
                }
            )
        if capacity is not None:
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": {"pk": {"S": f"CAP#{node_id}"}, "sk": {"S": f"DAY#{day}"}},
                        "UpdateExpression": "SET used = if_not_exists(used, :zero) + :one",
                        "ConditionExpression": "attribute_not_exists(used) OR used < :cap",
                        "ExpressionAttributeValues": {":zero": _n(0), ":one": _n(1), ":cap": _n(capacity)},
                    }
                }
            )
        try:
            self._db.transact_write_items(TransactItems=items)
        except ClientError as err:
            reasons = _cancellation_codes(err)
            _raise_if_transient(err, reasons)
            if reasons[0] == "ConditionalCheckFailed":
                # the record is live: an earlier attempt of this step reserved here (or it shipped)
                existing = next((r for r in self.reservations(order_id) if r.node_id == node_id), None)
                return existing is not None and existing.status in ("reserved", "consumed")
            return False  # stock or capacity ran out: nothing was written
        return True

    def reservations(self, order_id: str) -> list[Reservation]:
        items = self._db.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"RES#{order_id}"}},
            ConsistentRead=True,
        )["Items"]
        return [
            Reservation(
                order_id,
                item["sk"]["S"].removeprefix("NODE#"),
                json.loads(item["quantities"]["S"]),
                item["status"]["S"],
                item["day"]["S"],
                item["capacity_counted"]["BOOL"],
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
                    "Key": {"pk": {"S": f"RES#{res.order_id}"}, "sk": {"S": f"NODE#{res.node_id}"}},
                    "UpdateExpression": "SET #s = :new",
                    "ConditionExpression": "#s = :reserved",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": {":new": {"S": status}, ":reserved": {"S": "reserved"}},
                }
            }
        ]
        items += [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": self._stock_key(sku, res.node_id),
                    "UpdateExpression": expression,
                    "ExpressionAttributeValues": {":q": _n(quantity)},
                }
            }
            for sku, quantity in sorted(res.quantities.items())
        ]
        if give_back_capacity:
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": {"pk": {"S": f"CAP#{res.node_id}"}, "sk": {"S": f"DAY#{res.day}"}},
                        "UpdateExpression": "SET used = used - :one",
                        "ConditionExpression": "used > :zero",
                        "ExpressionAttributeValues": {":one": _n(1), ":zero": _n(0)},
                    }
                }
            )
        try:
            self._db.transact_write_items(TransactItems=items)
        except ClientError as err:
            reasons = _cancellation_codes(err)
            _raise_if_transient(err, reasons)
            return False  # not reserved any more: released or consumed already
        return True

    def capacity_used(self, node_ids: Iterable[str], day: str) -> dict[str, int]:
        keys = [{"pk": {"S": f"CAP#{n}"}, "sk": {"S": f"DAY#{day}"}} for n in sorted(set(node_ids))]
        used: dict[str, int] = {}
        for start in range(0, len(keys), 100):
            answer = self._db.batch_get_item(
                RequestItems={self._table: {"Keys": keys[start : start + 100], "ConsistentRead": True}}
            )
            for item in answer["Responses"].get(self._table, []):
                used[item["pk"]["S"].removeprefix("CAP#")] = _int(item, "used")
        return used

    # --- routing claims ---------------------------------------------------------------------------

    def claim(self, order_id: str, owner: str, now: float, lease_s: int) -> bool:
        """Takes the order's routing lease; False while another attempt holds an unexpired one."""
        try:
            self._db.put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": f"CLAIM#{order_id}"},
                    "sk": {"S": "CLAIM"},
                    "owner": {"S": owner},
                    "expires": _n(int(now) + lease_s),
                },
                ConditionExpression="attribute_not_exists(pk) OR expires < :now",
                ExpressionAttributeValues={":now": _n(int(now))},
            )
        except ClientError as err:
            if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def unclaim(self, order_id: str, owner: str) -> None:
        try:
            self._db.delete_item(
                TableName=self._table,
                Key={"pk": {"S": f"CLAIM#{order_id}"}, "sk": {"S": "CLAIM"}},
                ConditionExpression="#o = :owner",
                ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues={":owner": {"S": owner}},
            )
        except ClientError as err:
            if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    # --- reorder suggestions ------------------------------------------------------------------------

    def suggest_reorder(self, suggestion: ReorderSuggestion, at: datetime) -> bool:
        """Records an open suggestion unless one is already open for the (sku, node)."""
        try:
            self._db.put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": "REORDER"},
                    "sk": {"S": f"{suggestion.sku}#{suggestion.node_id}"},
                    "sku": {"S": suggestion.sku},
                    "node_id": {"S": suggestion.node_id},
                    "quantity": _n(suggestion.quantity),
                    "available": _n(suggestion.available),
                    "reorder_point": _n(suggestion.reorder_point),
                    "at": {"S": at.isoformat()},
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as err:
            if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def close_reorder(self, sku: str, node_id: str) -> None:
        self._db.delete_item(TableName=self._table, Key={"pk": {"S": "REORDER"}, "sk": {"S": f"{sku}#{node_id}"}})

    def reorder_suggestions(self) -> list[dict[str, Any]]:
        pages = self._db.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "REORDER"}},
        )
        return [
            {
                "sku": item["sku"]["S"],
                "node_id": item["node_id"]["S"],
                "quantity": _int(item, "quantity"),
                "available": _int(item, "available"),
                "reorder_point": _int(item, "reorder_point"),
                "suggested_at": item["at"]["S"],
            }
            for page in pages
            for item in page["Items"]
        ]

    # --- backorders -------------------------------------------------------------------------------

    def add_backorder(self, order_id: str, skus: Iterable[str], priority: int, created_at: datetime) -> None:
        for sku in sorted(set(skus)):
            self._db.put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": f"BACKORDER#{sku}"},
                    "sk": {"S": f"{priority:05d}#{created_at.isoformat()}#{order_id}"},
                    "order_id": {"S": order_id},
                },
            )

    def remove_backorder(self, order_id: str, skus: Iterable[str], priority: int, created_at: datetime) -> None:
        for sku in sorted(set(skus)):
            self._db.delete_item(
                TableName=self._table,
                Key={
                    "pk": {"S": f"BACKORDER#{sku}"},
                    "sk": {"S": f"{priority:05d}#{created_at.isoformat()}#{order_id}"},
                },
            )

    def backorders(self, sku: str) -> list[str]:
        """Backordered order ids for the sku, in allocation order: priority, then oldest first."""
        pages = self._db.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"BACKORDER#{sku}"}},
            ConsistentRead=True,
        )
        return [item["order_id"]["S"] for page in pages for item in page["Items"]]


# Cancellation reasons that say nothing about the data: the caller must try again, not conclude.
_TRANSIENT = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}


def _raise_if_transient(err: ClientError, reasons: list[str]) -> None:
    if not reasons or _TRANSIENT.intersection(reasons):
        raise err


def _cancellation_codes(err: ClientError) -> list[str]:
    if err.response["Error"]["Code"] != "TransactionCanceledException":
        return []
    reasons = err.response.get("CancellationReasons") or []
    return [str(r.get("Code", "None")) for r in reasons] or ["Unknown"]

"""The refund ledger on DynamoDB (the LEDGER table: pk/sk strings, no index).

  KEY#<idempotency_key>     ENTRY                     the entry itself (one per idempotency key)
  REFUND#<refund_id>        REFUND                    pointer: refund id -> idempotency key
  STRIPE#<stripe_refund_id> STRIPE                    pointer: Stripe refund id -> idempotency key
  PI#<payment_intent>       TOTALS                    captured, refunded (the cap on the PaymentIntent)
  DAY#<yyyy-mm-dd>          <created_at>#<refund_id>  copy of the entry, to list a time range (UTC days)
  ORDER#<order_id>          <created_at>#<refund_id>  copy of the entry, to list an order's refunds
  PENDING                   <created_at>#<refund_id>  copy while PENDING, to find unsettled refunds
  OWED                      <order_id>#<cause_id>     a refund owed but not opened yet (amount unknown)

Opening writes the entry, its pointer and copies and adds the amount to the PaymentIntent's total
in one transaction whose condition keeps the total at or below what was captured: concurrent
refunds cannot over-refund. Settling updates the entry and its copies in one transaction, and a
FAILED refund gives its amount back to the total in the same transaction. Every listing is a Query.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared.adapters.dynamodb_items import (
    attr,
    cancellation_reasons,
    condition_failed,
    key,
    raise_if_transient,
    to_item,
    value,
)
from shared.domain.errors import DomainError
from shared.domain.refund_ledger import (
    LedgerEntry,
    Owed,
    RefundExceedsCaptured,
    RefundNotFound,
    RefundReason,
    RefundStatus,
)
from shared.ports import LedgerQuery, Page

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ENTRY_SK = "ENTRY"
# a page reads at most this many entries, with at most this many Queries
PAGE_MAX = 500
QUERIES_PER_PAGE = 8
PENDING_PK = "PENDING"
OWED_PK = "OWED"


class RefundIdTaken(DomainError):
    """A different idempotency key already recorded a refund under this refund id."""

    code = "refund_id_taken"


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    return at.astimezone(UTC)


def _stamp(at: datetime) -> str:
    return _utc(at).isoformat(timespec="microseconds")


def _sort_key(entry: LedgerEntry) -> str:
    return f"{_stamp(entry.created_at)}#{entry.refund_id}"


def _day(at: datetime) -> str:
    return _utc(at).date().isoformat()


def _item(entry: LedgerEntry) -> dict[str, Any]:
    """The entry's attributes, without its keys."""
    item: dict[str, Any] = {
        "refund_id": attr(entry.refund_id),
        "order_id": attr(entry.order_id),
        "payment_intent": attr(entry.payment_intent),
        "amount": attr(entry.amount),
        "currency": attr(entry.currency),
        "reason": attr(entry.reason.value),
        "cause_id": attr(entry.cause_id),
        "idempotency_key": attr(entry.idempotency_key),
        "status": attr(entry.status.value),
        "created_at": attr(_stamp(entry.created_at)),
    }
    if entry.stripe_refund_id is not None:
        item["stripe_refund_id"] = attr(entry.stripe_refund_id)
    if entry.failure_reason is not None:
        item["failure_reason"] = attr(entry.failure_reason)
    if entry.settled_at is not None:
        item["settled_at"] = attr(_stamp(entry.settled_at))
    return item


def entry_from_item(item: dict[str, Any]) -> LedgerEntry:
    """A ledger entry from its stored item (also a stream image)."""

    def opt(name: str) -> str | None:
        return str(value(item[name])) if name in item else None

    settled = opt("settled_at")
    return LedgerEntry(
        refund_id=value(item["refund_id"]),
        order_id=value(item["order_id"]),
        payment_intent=value(item["payment_intent"]),
        amount=int(value(item["amount"])),
        currency=value(item["currency"]),
        reason=RefundReason(value(item["reason"])),
        cause_id=value(item["cause_id"]),
        idempotency_key=value(item["idempotency_key"]),
        status=RefundStatus(value(item["status"])),
        stripe_refund_id=opt("stripe_refund_id"),
        failure_reason=opt("failure_reason"),
        created_at=datetime.fromisoformat(value(item["created_at"])),
        settled_at=datetime.fromisoformat(settled) if settled else None,
    )


class DynamoDBLedger:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self._table = table

    # --- writes --------------------------------------------------------------------------------

    def open(self, entry: LedgerEntry, captured: int) -> LedgerEntry:
        """Records a PENDING refund and counts its amount against the PaymentIntent's `captured`
        amount, atomically. Returns the entry recorded under its idempotency key: this one, or the
        first one on a replay (then nothing is added). RefundExceedsCaptured when the total refunded
        would exceed `captured`; nothing is written then."""
        if entry.status is not RefundStatus.PENDING:
            raise ValueError("a refund is opened PENDING")
        room = captured - entry.amount
        if room < 0:
            raise RefundExceedsCaptured(entry.payment_intent, entry.amount, captured)
        copy = _item(entry)
        sort_key = _sort_key(entry)
        items: list[Any] = [
            self._put(
                {"pk": attr(f"KEY#{entry.idempotency_key}"), "sk": attr(ENTRY_SK), **copy}, "attribute_not_exists(pk)"
            ),
            self._put(
                {
                    "pk": attr(f"REFUND#{entry.refund_id}"),
                    "sk": attr("REFUND"),
                    "idempotency_key": attr(entry.idempotency_key),
                },
                "attribute_not_exists(pk)",
            ),
            {
                "Update": {
                    "TableName": self._table,
                    "Key": self._totals_key(entry.payment_intent),
                    "UpdateExpression": "SET captured = :captured, currency = :currency, "
                    "refunded = if_not_exists(refunded, :zero) + :amount",
                    "ConditionExpression": "attribute_not_exists(refunded) OR refunded <= :room",
                    "ExpressionAttributeValues": {
                        ":captured": attr(captured),
                        ":currency": attr(entry.currency),
                        ":zero": attr(0),
                        ":amount": attr(entry.amount),
                        ":room": attr(room),
                    },
                }
            },
            self._put({"pk": attr(f"DAY#{_day(entry.created_at)}"), "sk": attr(sort_key), **copy}),
            self._put({"pk": attr(f"ORDER#{entry.order_id}"), "sk": attr(sort_key), **copy}),
            self._put({"pk": attr(PENDING_PK), "sk": attr(sort_key), **copy}),
            {"Delete": {"TableName": self._table, "Key": self._owed_key(entry.order_id, entry.cause_id)}},
        ]
        try:
            self._db.transact_write_items(TransactItems=items)
        except ClientError as err:
            reasons = cancellation_reasons(err)
            raise_if_transient(err, reasons)
            if reasons[0] == "ConditionalCheckFailed":
                existing = self.find(entry.idempotency_key)
                if existing is None:  # it existed a moment ago: entries are never deleted
                    raise
                return existing
            if reasons[1] == "ConditionalCheckFailed":
                raise RefundIdTaken(f"refund id {entry.refund_id} is taken by another idempotency key") from err
            if reasons[2] == "ConditionalCheckFailed":
                raise RefundExceedsCaptured(entry.payment_intent, entry.amount, captured) from err
            raise
        return entry

    def settle(
        self,
        refund_id: str,
        status: RefundStatus,
        stripe_refund_id: str | None,
        failure_reason: str | None,
        at: datetime,
    ) -> LedgerEntry:
        """PENDING -> SUCCEEDED or FAILED. Settling again with the same outcome changes nothing and
        returns the entry as first settled; the other outcome is RefundAlreadySettled. A FAILED
        refund gives its amount back to the PaymentIntent's total (so another cause may refund it)."""
        current = self.get(refund_id)
        if current is None:
            raise RefundNotFound(refund_id)
        if current.settled(status, stripe_refund_id, failure_reason, at) is None:
            return current  # settled before, with this outcome

        sets = ["#status = :status", "settled_at = :at"]
        values: dict[str, Any] = {":status": attr(status.value), ":at": attr(_stamp(at)), ":pending": attr("PENDING")}
        if stripe_refund_id is not None:
            sets.append("stripe_refund_id = :stripe")
            values[":stripe"] = attr(stripe_refund_id)
        if failure_reason is not None:
            sets.append("failure_reason = :why")
            values[":why"] = attr(failure_reason)
        sort_key = _sort_key(current)
        items: list[Any] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": item_key,
                    "UpdateExpression": "SET " + ", ".join(sets),
                    "ConditionExpression": "#status = :pending",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": values,
                }
            }
            for item_key in (
                key(f"KEY#{current.idempotency_key}", ENTRY_SK),
                key(f"DAY#{_day(current.created_at)}", sort_key),
                key(f"ORDER#{current.order_id}", sort_key),
            )
        ]
        items.append({"Delete": {"TableName": self._table, "Key": key(PENDING_PK, sort_key)}})
        if stripe_refund_id is not None:
            items.append(
                self._put(
                    {
                        "pk": attr(f"STRIPE#{stripe_refund_id}"),
                        "sk": attr("STRIPE"),
                        "idempotency_key": attr(current.idempotency_key),
                    },
                    "attribute_not_exists(pk) OR idempotency_key = :key",
                    {":key": attr(current.idempotency_key)},
                )
            )
        if status is RefundStatus.FAILED:
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": self._totals_key(current.payment_intent),
                        "UpdateExpression": "SET refunded = refunded - :amount",
                        "ConditionExpression": "refunded >= :amount",
                        "ExpressionAttributeValues": {":amount": attr(current.amount)},
                    }
                }
            )
        try:
            self._db.transact_write_items(TransactItems=items)
        except ClientError as err:
            reasons = cancellation_reasons(err)
            raise_if_transient(err, reasons)
            if reasons[0] == "ConditionalCheckFailed":  # settled concurrently
                settled = self.get(refund_id)
                if settled is None:
                    raise
                # the same outcome is this settlement; the other raises RefundAlreadySettled
                if settled.settled(status, stripe_refund_id, failure_reason, at) is not None:
                    raise  # still PENDING: the condition failed for another reason
                return settled
            raise
        return self.find(current.idempotency_key) or current

    def owe(self, order_id: str, cause_id: str, at: datetime) -> None:
        try:
            self._db.put_item(
                TableName=self._table,
                Item={
                    **self._owed_key(order_id, cause_id),
                    **to_item({"order_id": order_id, "cause_id": cause_id, "since": _stamp(at)}),
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as err:
            if not condition_failed(err):
                raise

    def discharge(self, order_id: str, cause_id: str) -> None:
        self._db.delete_item(TableName=self._table, Key=self._owed_key(order_id, cause_id))

    def owed(self) -> list[Owed]:
        found = [
            Owed(value(item["order_id"]), value(item["cause_id"]), datetime.fromisoformat(value(item["since"])))
            for item in self._query(OWED_PK)
        ]
        return sorted(found, key=lambda o: o.since)

    @staticmethod
    def _owed_key(order_id: str, cause_id: str) -> dict[str, Any]:
        return key(OWED_PK, f"{order_id}#{cause_id}")

    # --- reads ---------------------------------------------------------------------------------

    def find(self, idempotency_key: str) -> LedgerEntry | None:
        """The entry recorded under this idempotency key, if any."""
        item = self._get(key(f"KEY#{idempotency_key}", ENTRY_SK))
        return entry_from_item(item) if item else None

    def get(self, refund_id: str) -> LedgerEntry | None:
        pointer = self._get(key(f"REFUND#{refund_id}", "REFUND"))
        return self.find(value(pointer["idempotency_key"])) if pointer else None

    def by_stripe_refund(self, stripe_refund_id: str) -> LedgerEntry | None:
        pointer = self._get(key(f"STRIPE#{stripe_refund_id}", "STRIPE"))
        return self.find(value(pointer["idempotency_key"])) if pointer else None

    def totals(self, payment_intent: str) -> tuple[int, int]:
        """(captured, refunded) on the PaymentIntent; (0, 0) before its first refund."""
        item = self._get(self._totals_key(payment_intent))
        if not item:
            return (0, 0)
        return (int(value(item["captured"])), int(value(item["refunded"])))

    def list(
        self,
        status: RefundStatus | None = None,
        order_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[LedgerEntry]:
        """Every entry created in [since, until), oldest first: the pages, one after the other."""
        query, found, after = LedgerQuery(status, order_id, since, until), [], None
        while True:
            page = self.page(query, PAGE_MAX, after)
            found += page.items
            if page.after is None:
                return found
            after = page.after

    def page(self, query: LedgerQuery, limit: int, after: str | None = None) -> Page[LedgerEntry]:
        """Up to `limit` entries created in [since, until), oldest first, after the position `after`.

        An order's refunds and the PENDING ones are one partition each; a time range is one per UTC
        day, read in order from the day `after` names, and the page stops once full: a first page of
        many days reads only the days it needs. At most QUERIES_PER_PAGE Queries make a page, so a
        stretch of empty days answers a short page with where to resume rather than Query them all."""
        low = _stamp(query.since) if query.since else None
        high = _stamp(query.until) if query.until else None
        if query.order_id is not None:
            partitions = [f"ORDER#{query.order_id}"]
        elif query.since is not None:
            first = query.since if after is None else max(query.since, _day_start(after))
            partitions = [f"DAY#{day}" for day in _days(first, query.until or datetime.now(UTC))]
        elif query.status is RefundStatus.PENDING:
            partitions = [PENDING_PK]
        else:
            raise ValueError("a listing needs order_id, since, or status=PENDING")
        found: list[LedgerEntry] = []
        queries = 0
        for i, pk in enumerate(partitions):
            start: dict[str, Any] | None = None
            while True:
                if queries == QUERIES_PER_PAGE:
                    # resume inside this partition, or at the start of its day
                    return Page(found, value(start["sk"]) if start else pk.removeprefix("DAY#"))
                room = limit - len(found)
                answer = self._db.query(**self._page_query(pk, low, high, after, query.status, room, start))
                queries += 1
                items = [item for item in answer["Items"] if value(item["sk"]) != after]
                taken = items[:room]
                found += [entry_from_item(item) for item in taken]
                start = answer.get("LastEvaluatedKey")
                more = len(items) > len(taken) or start is not None or i < len(partitions) - 1
                if len(found) == limit and more:
                    return Page(found, _sort_key(found[-1]))
                if start is None:
                    break
        return Page(found, None)

    # --- plumbing ------------------------------------------------------------------------------

    def _page_query(
        self,
        pk: str,
        low: str | None,
        high: str | None,
        after: str | None,
        status: RefundStatus | None,
        room: int,
        start: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """One Query of a partition: low <= sk < high, above `after` (left out itself: one more is
        asked for), of `status`. A sort key "<until>#<refund_id>" sorts after "<until>", so an
        inclusive BETWEEN gives [since, until)."""
        if after is not None and (low is None or after > low):
            low, room = after, room + 1
        values: dict[str, Any] = {":pk": attr(pk)}
        condition = "pk = :pk"
        if low is not None:
            values[":low"] = attr(low)
        if high is not None:
            values[":high"] = attr(high)
        if low is not None and high is not None:
            condition += " AND sk BETWEEN :low AND :high"
        elif low is not None:
            condition += " AND sk >= :low"
        elif high is not None:
            condition += " AND sk < :high"
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ConsistentRead": True,
            "Limit": room,
        }
        if status is not None and pk != PENDING_PK:
            query["FilterExpression"] = "#status = :status"
            query["ExpressionAttributeNames"] = {"#status": "status"}
            values[":status"] = attr(status.value)
        if start is not None:
            query["ExclusiveStartKey"] = start
        return query

    def _query(self, pk: str) -> Iterator[dict[str, Any]]:
        """Every item of one partition."""
        pages = self._db.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": attr(pk)},
            ConsistentRead=True,
        )
        for page in pages:
            yield from page["Items"]

    def _get(self, key: dict[str, Any]) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self._db.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
        return item

    def _put(self, item: dict[str, Any], condition: str | None = None, values: Any = None) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": self._table, "Item": item}
        if condition:
            put["ConditionExpression"] = condition
        if values:
            put["ExpressionAttributeValues"] = values
        return {"Put": put}

    @staticmethod
    def _totals_key(payment_intent: str) -> dict[str, Any]:
        return key(f"PI#{payment_intent}", "TOTALS")


def _day_start(position: str) -> datetime:
    """The start of the UTC day a position (a sort key, or a day) lies in."""
    return datetime.fromisoformat(position[:10]).replace(tzinfo=UTC)


def _days(since: datetime, until: datetime) -> list[str]:
    first, last = _utc(since).date(), _utc(until).date()
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]

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

from shared.domain.errors import DomainError
from shared.domain.refunds import (
    LedgerEntry,
    Owed,
    RefundAlreadySettled,
    RefundExceedsCaptured,
    RefundNotFound,
    RefundReason,
    RefundStatus,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ENTRY_SK = "ENTRY"
PENDING_PK = "PENDING"
OWED_PK = "OWED"
# Cancellation reasons that say nothing about the data: the caller must try again, not conclude.
_TRANSIENT = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}


class RefundIdTaken(DomainError):
    """A different idempotency key already recorded a refund under this refund id."""

    code = "refund_id_taken"


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


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


def _codes(err: ClientError) -> list[str]:
    if err.response["Error"]["Code"] != "TransactionCanceledException":
        return []
    reasons = err.response.get("CancellationReasons") or []
    return [str(r.get("Code", "None")) for r in reasons] or ["Unknown"]


def _raise_if_transient(err: ClientError, reasons: list[str]) -> None:
    if not reasons or _TRANSIENT.intersection(reasons):
        raise err


def _item(entry: LedgerEntry) -> dict[str, Any]:
    """The entry's attributes, without its keys."""
    item: dict[str, Any] = {
        "refund_id": _s(entry.refund_id),
        "order_id": _s(entry.order_id),
        "payment_intent": _s(entry.payment_intent),
        "amount": _n(entry.amount),
        "currency": _s(entry.currency),
        "reason": _s(entry.reason.value),
        "cause_id": _s(entry.cause_id),
        "idempotency_key": _s(entry.idempotency_key),
        "status": _s(entry.status.value),
        "created_at": _s(_stamp(entry.created_at)),
    }
    if entry.stripe_refund_id is not None:
        item["stripe_refund_id"] = _s(entry.stripe_refund_id)
    if entry.failure_reason is not None:
        item["failure_reason"] = _s(entry.failure_reason)
    if entry.settled_at is not None:
        item["settled_at"] = _s(_stamp(entry.settled_at))
    return item


def entry_from_item(item: dict[str, Any]) -> LedgerEntry:
    """A ledger entry from its stored item (also a stream image)."""

    def opt(name: str) -> str | None:
        return str(item[name]["S"]) if name in item else None

    settled = opt("settled_at")
    return LedgerEntry(
        refund_id=item["refund_id"]["S"],
        order_id=item["order_id"]["S"],
        payment_intent=item["payment_intent"]["S"],
        amount=int(item["amount"]["N"]),
        currency=item["currency"]["S"],
        reason=RefundReason(item["reason"]["S"]),
        cause_id=item["cause_id"]["S"],
        idempotency_key=item["idempotency_key"]["S"],
        status=RefundStatus(item["status"]["S"]),
        stripe_refund_id=opt("stripe_refund_id"),
        failure_reason=opt("failure_reason"),
        created_at=datetime.fromisoformat(item["created_at"]["S"]),
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
                {"pk": _s(f"KEY#{entry.idempotency_key}"), "sk": _s(ENTRY_SK), **copy}, "attribute_not_exists(pk)"
            ),
            self._put(
                {
                    "pk": _s(f"REFUND#{entry.refund_id}"),
                    "sk": _s("REFUND"),
                    "idempotency_key": _s(entry.idempotency_key),
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
                        ":captured": _n(captured),
                        ":currency": _s(entry.currency),
                        ":zero": _n(0),
                        ":amount": _n(entry.amount),
                        ":room": _n(room),
                    },
                }
            },
            self._put({"pk": _s(f"DAY#{_day(entry.created_at)}"), "sk": _s(sort_key), **copy}),
            self._put({"pk": _s(f"ORDER#{entry.order_id}"), "sk": _s(sort_key), **copy}),
            self._put({"pk": _s(PENDING_PK), "sk": _s(sort_key), **copy}),
            {"Delete": {"TableName": self._table, "Key": self._owed_key(entry.order_id, entry.cause_id)}},
        ]
        try:
            self._db.transact_write_items(TransactItems=items)
        except ClientError as err:
            reasons = _codes(err)
            _raise_if_transient(err, reasons)
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
        if status is RefundStatus.PENDING:
            raise ValueError("a refund settles SUCCEEDED or FAILED")
        if status is RefundStatus.SUCCEEDED and stripe_refund_id is None:
            raise ValueError("a SUCCEEDED refund has a Stripe refund id")
        current = self.get(refund_id)
        if current is None:
            raise RefundNotFound(refund_id)
        if current.status is not RefundStatus.PENDING:
            return self._already(current, status)

        sets = ["#status = :status", "settled_at = :at"]
        values: dict[str, Any] = {":status": _s(status.value), ":at": _s(_stamp(at)), ":pending": _s("PENDING")}
        if stripe_refund_id is not None:
            sets.append("stripe_refund_id = :stripe")
            values[":stripe"] = _s(stripe_refund_id)
        if failure_reason is not None:
            sets.append("failure_reason = :why")
            values[":why"] = _s(failure_reason)
        sort_key = _sort_key(current)
        items: list[Any] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": key,
                    "UpdateExpression": "SET " + ", ".join(sets),
                    "ConditionExpression": "#status = :pending",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": values,
                }
            }
            for key in (
                {"pk": _s(f"KEY#{current.idempotency_key}"), "sk": _s(ENTRY_SK)},
                {"pk": _s(f"DAY#{_day(current.created_at)}"), "sk": _s(sort_key)},
                {"pk": _s(f"ORDER#{current.order_id}"), "sk": _s(sort_key)},
            )
        ]
        items.append({"Delete": {"TableName": self._table, "Key": {"pk": _s(PENDING_PK), "sk": _s(sort_key)}}})
        if stripe_refund_id is not None:
            items.append(
                self._put(
                    {
                        "pk": _s(f"STRIPE#{stripe_refund_id}"),
                        "sk": _s("STRIPE"),
                        "idempotency_key": _s(current.idempotency_key),
                    },
                    "attribute_not_exists(pk) OR idempotency_key = :key",
                    {":key": _s(current.idempotency_key)},
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
                        "ExpressionAttributeValues": {":amount": _n(current.amount)},
                    }
                }
            )
        try:
            self._db.transact_write_items(TransactItems=items)
        except ClientError as err:
            reasons = _codes(err)
            _raise_if_transient(err, reasons)
            if reasons[0] == "ConditionalCheckFailed":  # settled concurrently
                settled = self.get(refund_id)
                if settled is None:
                    raise
                return self._already(settled, status)
            raise
        return self.find(current.idempotency_key) or current

    def owe(self, order_id: str, cause_id: str, at: datetime) -> None:
        try:
            self._db.put_item(
                TableName=self._table,
                Item={
                    **self._owed_key(order_id, cause_id),
                    "order_id": _s(order_id),
                    "cause_id": _s(cause_id),
                    "since": _s(_stamp(at)),
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as err:
            if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def discharge(self, order_id: str, cause_id: str) -> None:
        self._db.delete_item(TableName=self._table, Key=self._owed_key(order_id, cause_id))

    def owed(self) -> list[Owed]:
        found = [
            Owed(item["order_id"]["S"], item["cause_id"]["S"], datetime.fromisoformat(item["since"]["S"]))
            for item in self._query(OWED_PK, None, None)
        ]
        return sorted(found, key=lambda o: o.since)

    @staticmethod
    def _owed_key(order_id: str, cause_id: str) -> dict[str, Any]:
        return {"pk": _s(OWED_PK), "sk": _s(f"{order_id}#{cause_id}")}

    @staticmethod
    def _already(current: LedgerEntry, wanted: RefundStatus) -> LedgerEntry:
        if current.status is wanted:
            return current
        raise RefundAlreadySettled(current.refund_id, current.status, wanted)

    # --- reads ---------------------------------------------------------------------------------

    def find(self, idempotency_key: str) -> LedgerEntry | None:
        """The entry recorded under this idempotency key, if any."""
        item = self._get({"pk": _s(f"KEY#{idempotency_key}"), "sk": _s(ENTRY_SK)})
        return entry_from_item(item) if item else None

    def get(self, refund_id: str) -> LedgerEntry | None:
        pointer = self._get({"pk": _s(f"REFUND#{refund_id}"), "sk": _s("REFUND")})
        return self.find(pointer["idempotency_key"]["S"]) if pointer else None

    def by_stripe_refund(self, stripe_refund_id: str) -> LedgerEntry | None:
        pointer = self._get({"pk": _s(f"STRIPE#{stripe_refund_id}"), "sk": _s("STRIPE")})
        return self.find(pointer["idempotency_key"]["S"]) if pointer else None

    def totals(self, payment_intent: str) -> tuple[int, int]:
        """(captured, refunded) on the PaymentIntent; (0, 0) before its first refund."""
        item = self._get(self._totals_key(payment_intent))
        if not item:
            return (0, 0)
        return (int(item["captured"]["N"]), int(item["refunded"]["N"]))

    def list(
        self,
        status: RefundStatus | None = None,
        order_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[LedgerEntry]:
        """Entries created in [since, until), oldest first, filtered by status and order.

        Needs an order, a start time or status PENDING (which one partition lists); without
        `until`, up to now. A time range is one Query per UTC day it touches."""
        low = _stamp(since) if since else None
        high = _stamp(until) if until else None
        if order_id is not None:
            items = self._query(f"ORDER#{order_id}", low, high)
        elif since is not None:
            end = until or datetime.now(UTC)
            items = (item for day in _days(since, end) for item in self._query(f"DAY#{day}", low, high))
        elif status is RefundStatus.PENDING:
            items = self._query(PENDING_PK, low, high)
        else:
            raise ValueError("list needs order_id, since, or status=PENDING")
        entries = (entry_from_item(item) for item in items)
        return [e for e in entries if status is None or e.status is status]

    # --- plumbing ------------------------------------------------------------------------------

    def _query(self, pk: str, low: str | None, high: str | None) -> Iterator[dict[str, Any]]:
        """Items of one partition with low <= sk < high (a missing bound is open). A sort key
        "<until>#<refund_id>" sorts after "<until>", so an inclusive BETWEEN gives [since, until)."""
        values: dict[str, Any] = {":pk": _s(pk)}
        condition = "pk = :pk"
        if low is not None:
            values[":low"] = _s(low)
        if high is not None:
            values[":high"] = _s(high)
        if low is not None and high is not None:
            condition += " AND sk BETWEEN :low AND :high"
        elif low is not None:
            condition += " AND sk >= :low"
        elif high is not None:
            condition += " AND sk < :high"
        pages = self._db.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
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
        return {"pk": _s(f"PI#{payment_intent}"), "sk": _s("TOTALS")}


def _days(since: datetime, until: datetime) -> list[str]:
    first, last = _utc(since).date(), _utc(until).date()
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]

"""In-memory stand-ins for the finance ports (ledger, Stripe refunds, report store), for use-case tests."""

from __future__ import annotations

from datetime import datetime

from shared.domain.refunds import LedgerEntry, Owed, RefundStatus, StripeRefund


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


class InMemoryLedger:
    """Only what reconciliation reads: entries listed by creation time, as DynamoDBLedger.list does."""

    def __init__(self, entries: list[LedgerEntry] | None = None) -> None:
        self.entries = list(entries or [])
        self.listed: list[tuple[datetime | None, datetime | None]] = []
        self.owing: dict[tuple[str, str], Owed] = {}

    def open(self, entry: LedgerEntry, captured: int) -> LedgerEntry:
        existing = self.find(entry.idempotency_key)
        if existing is not None:
            return existing
        self.entries.append(entry)
        self.owing.pop((entry.order_id, entry.cause_id), None)
        return entry

    def owe(self, order_id: str, cause_id: str, at: datetime) -> None:
        self.owing.setdefault((order_id, cause_id), Owed(order_id, cause_id, at))

    def discharge(self, order_id: str, cause_id: str) -> None:
        self.owing.pop((order_id, cause_id), None)

    def owed(self) -> list[Owed]:
        return sorted(self.owing.values(), key=lambda o: o.since)

    def settle(
        self,
        refund_id: str,
        status: RefundStatus,
        stripe_refund_id: str | None,
        failure_reason: str | None,
        at: datetime,
    ) -> LedgerEntry:
        raise NotImplementedError

    def find(self, idempotency_key: str) -> LedgerEntry | None:
        return next((e for e in self.entries if e.idempotency_key == idempotency_key), None)

    def get(self, refund_id: str) -> LedgerEntry | None:
        return next((e for e in self.entries if e.refund_id == refund_id), None)

    def by_stripe_refund(self, stripe_refund_id: str) -> LedgerEntry | None:
        return next((e for e in self.entries if e.stripe_refund_id == stripe_refund_id), None)

    def list(
        self,
        status: RefundStatus | None = None,
        order_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[LedgerEntry]:
        if order_id is None and since is None and status is not RefundStatus.PENDING:
            raise ValueError("list needs order_id, since, or status=PENDING")
        self.listed.append((since, until))
        return sorted(
            (
                e
                for e in self.entries
                if (status is None or e.status is status)
                and (order_id is None or e.order_id == order_id)
                and (since is None or e.created_at >= since)
                and (until is None or e.created_at < until)
            ),
            key=lambda e: e.created_at,
        )

    def totals(self, payment_intent: str) -> tuple[int, int]:
        return (0, sum(e.amount for e in self.entries if e.payment_intent == payment_intent))


class InMemoryStripeRefunds:
    def __init__(self, refunds: list[StripeRefund] | None = None) -> None:
        self.refunds = list(refunds or [])
        self.asked: list[tuple[datetime, datetime]] = []

    def refund(self, entry: LedgerEntry) -> StripeRefund:
        raise NotImplementedError

    def list_refunds(self, created_gte: datetime, created_lt: datetime) -> list[StripeRefund]:
        self.asked.append((created_gte, created_lt))
        return [r for r in self.refunds if created_gte <= r.created < created_lt]


class InMemoryReports:
    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self.objects[key] = (body, content_type)

    def get(self, key: str) -> bytes | None:
        found = self.objects.get(key)
        return found[0] if found else None

    def url(self, key: str, expires_s: int = 3600) -> str:
        return f"https://reports.example/{key}?expires={expires_s}"

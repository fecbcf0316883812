"""API models of the finance routes: the refund ledger and reconciliations."""

from __future__ import annotations

from datetime import date as Day
from datetime import datetime
from typing import Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from shared.domain.refunds import LedgerEntry, Match, RefundReason, RefundStatus
from shared.usecases.reconcile import MAX_PERIOD, day_period


class RefundView(BaseModel):
    """A ledger entry. Money in minor units of `currency`."""

    refund_id: str
    order_id: str
    payment_intent: str
    amount: int
    currency: str
    reason: RefundReason
    cause_id: str
    idempotency_key: str
    status: RefundStatus
    stripe_refund_id: str | None
    failure_reason: str | None
    created_at: datetime
    settled_at: datetime | None

    @classmethod
    def of(cls, entry: LedgerEntry) -> RefundView:
        return cls(
            refund_id=entry.refund_id,
            order_id=entry.order_id,
            payment_intent=entry.payment_intent,
            amount=entry.amount,
            currency=entry.currency,
            reason=entry.reason,
            cause_id=entry.cause_id,
            idempotency_key=entry.idempotency_key,
            status=entry.status,
            stripe_refund_id=entry.stripe_refund_id,
            failure_reason=entry.failure_reason,
            created_at=entry.created_at,
            settled_at=entry.settled_at,
        )


class RefundList(BaseModel):
    refunds: list[RefundView]


class ReconciliationIn(BaseModel):
    """Either a UTC `date`, or a period [`period_start`, `period_end`) of at most 31 days."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    date: Day | None = Field(default=None, description="A UTC day, YYYY-MM-DD")
    period_start: AwareDatetime | None = None
    period_end: AwareDatetime | None = None

    @model_validator(mode="after")
    def _one_period(self) -> Self:
        has_range = self.period_start is not None or self.period_end is not None
        if self.date is not None and has_range:
            raise ValueError("send either date or period_start and period_end, not both")
        if self.date is None:
            if self.period_start is None or self.period_end is None:
                raise ValueError("send date, or both period_start and period_end")
            if self.period_end <= self.period_start:
                raise ValueError("period_end must be after period_start")
            if self.period_end - self.period_start > MAX_PERIOD:
                raise ValueError(f"a reconciliation covers at most {MAX_PERIOD.days} days")
        return self

    def period(self) -> tuple[datetime, datetime]:
        """[start, end) this body asks for."""
        if self.date is not None:
            return day_period(self.date)
        if self.period_start is None or self.period_end is None:  # the validator refused this already
            raise ValueError("no period")
        return self.period_start, self.period_end


class ClassSummaryView(BaseModel):
    count: int
    # per currency: amounts in different currencies are never added up
    ledger_amounts: dict[str, int]
    stripe_amounts: dict[str, int]


class ReconciliationRowView(BaseModel):
    kind: Match
    refund_id: str | None
    order_id: str | None
    payment_intent: str | None
    currency: str
    ledger_amount: int | None
    stripe_amount: int | None
    ledger_status: RefundStatus | None
    stripe_status: str | None
    stripe_refund_id: str | None
    detail: str


class ReconciliationCreated(BaseModel):
    reconciliation_id: str
    period_start: datetime
    period_end: datetime
    summary: dict[Match, ClassSummaryView]
    clean: bool
    csv_url: str = Field(description="Presigned download link of the CSV report, valid for an hour")
    json_url: str = Field(description="Presigned download link of the JSON report, valid for an hour")


class ReconciliationView(ReconciliationCreated):
    ran_at: datetime
    rows: list[ReconciliationRowView]

"""API models of the finance routes: the refund ledger and reconciliations."""

from __future__ import annotations

from datetime import date as Day
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Self

from pydantic import AwareDatetime, ConfigDict, Discriminator, Field, Tag, model_validator

from shared.domain.reconciliation import Match, ReconciliationRow
from shared.schemas.base import ApiModel
from shared.schemas.ledger_view import DataclassView, LedgerEntryView, view_of
from shared.usecases.reconcile import EARLIEST, LATEST, InvalidPeriod, check_period, day_period

# A reconciliation row is declared once, in the domain (shared.domain.reconciliation.ReconciliationRow);
# its view follows it.
if TYPE_CHECKING:
    ReconciliationRowView = DataclassView
else:
    ReconciliationRowView = view_of(ReconciliationRow, "ReconciliationRowView")


class RefundList(ApiModel):
    refunds: list[LedgerEntryView] = Field(description="Oldest first")
    next: str | None = Field(
        description="Pass as `cursor` (with the same filters) for the next page; null on the last one. "
        "A page may hold fewer than `limit` refunds while `next` is set."
    )


class _In(ApiModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _within_bounds(start: datetime, end: datetime) -> None:
    try:
        check_period(start, end)
    except OverflowError:
        raise ValueError(f"a period lies between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}") from None
    except InvalidPeriod as err:
        raise ValueError(str(err)) from None


class DayReconciliation(_In):
    """One UTC day."""

    date: Day = Field(description="A UTC day, YYYY-MM-DD (2000-01-01 to 2099-12-31)")

    @model_validator(mode="after")
    def _bounded(self) -> Self:
        if not EARLIEST.date() <= self.date < LATEST.date():
            raise ValueError(f"date lies between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}")
        return self

    def period(self) -> tuple[datetime, datetime]:
        return day_period(self.date)


class PeriodReconciliation(_In):
    """[period_start, period_end): at most 31 days, times with a timezone."""

    period_start: AwareDatetime
    period_end: AwareDatetime = Field(description="Exclusive; after period_start, at most 31 days later")

    @model_validator(mode="after")
    def _bounded(self) -> Self:
        _within_bounds(self.period_start, self.period_end)
        return self

    def period(self) -> tuple[datetime, datetime]:
        return self.period_start, self.period_end


def _which(body: Any) -> str:
    has_date = "date" in body if isinstance(body, dict) else hasattr(body, "date")
    return "day" if has_date else "period"


# Either a UTC `date`, or a period [`period_start`, `period_end`) of at most 31 days. Errors name
# the shape the body was read as: `day.date`, `period.period_end`.
ReconciliationIn = Annotated[
    Annotated[DayReconciliation, Tag("day")] | Annotated[PeriodReconciliation, Tag("period")],
    Discriminator(_which),
]


class ClassSummaryView(ApiModel):
    count: int
    # per currency: amounts in different currencies are never added up
    ledger_amounts: dict[str, int]
    stripe_amounts: dict[str, int]


class ReconciliationCreated(ApiModel):
    reconciliation_id: str
    period_start: datetime
    period_end: datetime
    summary: dict[Match, ClassSummaryView]
    clean: bool
    csv_url: str = Field(description="Presigned download link of the CSV report, valid for an hour")
    json_url: str = Field(description="Presigned download link of the JSON report, valid for an hour")


class ReconciliationView(ReconciliationCreated):
    ran_at: datetime
    rows: list[ReconciliationRowView] = Field(description="One page of the rows, in the report's order")
    next: str | None = Field(description="Pass as `cursor` for the next rows; null on the last page")


class ReconciliationListed(ApiModel):
    """A past reconciliation as the listing shows it: the report without its rows."""

    reconciliation_id: str
    ran_at: datetime
    period_start: datetime
    period_end: datetime
    day: Day | None = Field(description="The UTC day reconciled, when the period is exactly one; else null")
    clean: bool
    totals: ClassSummaryView = Field(description="Every class added up: refunds, amounts per currency")
    summary: dict[Match, ClassSummaryView]
    csv_url: str = Field(description="Presigned download link of the CSV report, valid for an hour")
    json_url: str = Field(description="Presigned download link of the JSON report, valid for an hour")


class ReconciliationPage(ApiModel):
    reconciliations: list[ReconciliationListed] = Field(description="Newest first, by when each ran")
    next: str | None = Field(description="Pass as `cursor` for the next page; null on the last one")

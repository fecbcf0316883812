"""Running a report: the range rules, the scope and the engine. Values come back as JSON types."""

from __future__ import annotations

from datetime import date, timedelta

from shared.analytics.catalog import Report
from shared.analytics.result import ReportResult
from shared.analytics.scope import MAX_RANGE, Scope, scoped
from shared.analytics.values import json_value
from shared.domain.errors import DomainError
from shared.ports import ReportEngine
from shared.records import record

DEFAULT_RANGE = timedelta(days=29)  # the last 30 days, today included
PARAMETERS = (
    ("from", "date", "First capture day (UTC, YYYY-MM-DD); default 29 days before `to`"),
    ("to", "date", "Last capture day (UTC, YYYY-MM-DD), at most 92 days after `from`; default today"),
    ("channel", "string", "Only orders of this channel"),
    ("node_id", "string", "Only orders that touched this node"),
)


class InvalidRange(DomainError):
    code = "validation_failed"
    http_status = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field

    def http_details(self) -> list[tuple[str, str]]:
        return [(self.field, str(self))]


def scope_for(
    today: date, from_day: date | None, to_day: date | None, channel: str | None, node_id: str | None
) -> Scope:
    to_day = to_day or today
    from_day = from_day or to_day - DEFAULT_RANGE
    if from_day > to_day:
        raise InvalidRange("from", "from must be on or before to")
    if to_day - from_day >= MAX_RANGE:
        raise InvalidRange("to", f"a range spans at most {MAX_RANGE.days} days")
    return Scope(from_day, to_day, channel, node_id)


@record
class Answer:
    report: Report
    scope: Scope
    result: ReportResult

    def rows(self) -> list[dict[str, object]]:
        kinds = [c.type for c in self.report.columns]
        return [
            {c.name: json_value(v, k) for c, v, k in zip(self.report.columns, row, kinds, strict=True)}
            for row in self.result.rows
        ]


def run_report(report: Report, scope: Scope, engine: ReportEngine) -> Answer:
    return Answer(report, scope, engine.run(scoped(report.sql, scope)))

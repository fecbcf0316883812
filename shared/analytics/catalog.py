"""The reports: one SQL file each in shared/analytics/reports/, in Athena's (Trino) dialect.

A file starts with comment lines that describe it:

    -- title: Order cycle times
    -- description: ...
    -- columns: day date, channel string, p50_minutes number

The columns line is what `GET /v1/analytics` lists; a test runs every report on DuckDB and checks
the result has exactly these columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from shared.analytics.result import Column
from shared.domain.errors import DomainError

REPORTS_DIR = Path(__file__).resolve().parent / "reports"
TYPES = frozenset({"date", "string", "integer", "number"})
NAME_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
_HEADER = re.compile(r"^--\s*(title|description|columns):\s*(.+)$")


class UnknownReport(DomainError):
    code = "validation_failed"
    http_status = 422

    def __init__(self, name: str) -> None:
        super().__init__(f"no report {name}; GET /v1/analytics lists them")

    def http_details(self) -> list[tuple[str, str]]:
        return [("report", str(self))]


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    sql: str


def _parse(path: Path) -> Report:
    sql = path.read_text()
    meta: dict[str, str] = {}
    for line in sql.splitlines():
        found = _HEADER.match(line.strip())
        if found:
            key, value = found.groups()
            meta[key] = f"{meta[key]} {value.strip()}" if key in meta else value.strip()
    columns = []
    for part in meta["columns"].split(","):
        name, kind = part.split()
        if kind not in TYPES:
            raise ValueError(f"{path.name}: column {name} has unknown type {kind}")
        columns.append(Column(name, kind))
    return Report(path.stem, meta["title"], meta.get("description", ""), tuple(columns), sql)


@cache
def reports() -> dict[str, Report]:
    return {p.stem: _parse(p) for p in sorted(REPORTS_DIR.glob("*.sql"))}


def report(name: str) -> Report:
    found = reports().get(name)
    if found is None:
        raise UnknownReport(name)
    return found

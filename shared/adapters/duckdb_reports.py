"""ReportEngine on DuckDB (the embedded stack, tests and benchmarks): fact rows loaded into an
in-memory table `fact_rows`, reports transpiled from Athena's dialect by sqlglot."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb

from shared.analytics.result import Column, ReportResult
from shared.analytics.scope import FACT_ROWS, to_duckdb
from shared.domain.facts import COLUMNS

_DUCK_TYPES = {"string": "VARCHAR", "timestamp": "TIMESTAMP", "int": "INTEGER", "bigint": "BIGINT"}
_KINDS = {"DATE": "date", "VARCHAR": "string", "BIGINT": "integer", "INTEGER": "integer", "HUGEINT": "integer"}


def _kind(type_name: str) -> str:
    if type_name in _KINDS:
        return _KINDS[type_name]
    if type_name.startswith(("TIMESTAMP",)):
        return "string"
    return "number"


class DuckDBReports:
    def __init__(self) -> None:
        self._db = duckdb.connect(":memory:")
        columns = ", ".join(f"{name} {_DUCK_TYPES[kind]}" for name, kind in COLUMNS)
        self._db.execute(f"CREATE TABLE {FACT_ROWS} ({columns}, dt VARCHAR)")

    def load(self, rows: Iterable[dict[str, Any]]) -> int:
        """Adds stored fact rows, each with its partition `dt`; returns how many."""
        schema = {name: _DUCK_TYPES[kind] for name, kind in COLUMNS} | {"dt": "VARCHAR"}
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "facts.json"
            count = 0
            with path.open("w") as out:
                for row in rows:
                    out.write(json.dumps(row) + "\n")
                    count += 1
            if count:
                self._db.execute(
                    f"INSERT INTO {FACT_ROWS} SELECT * FROM read_json(?, format='newline_delimited', columns=?)",  # noqa: S608
                    [str(path), schema],
                )
        return count

    def run(self, sql: str) -> ReportResult:
        cursor = self._db.execute(to_duckdb(sql))
        description = cursor.description or []
        columns = tuple(Column(d[0], _kind(str(d[1]))) for d in description)
        return ReportResult(columns, tuple(tuple(r) for r in cursor.fetchall()))

"""ReportEngine on Athena (AWS): the report runs in the analytics workgroup, which holds the result
location and the scan limit; the answer is read back page by page."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from shared.analytics.result import Column, ReportResult

if TYPE_CHECKING:
    from mypy_boto3_athena import AthenaClient

_KINDS = {"date": "date", "varchar": "string", "bigint": "integer", "integer": "integer", "timestamp": "string"}


class ReportFailed(Exception):
    pass


def _value(text: str | None, kind: str) -> Any:
    if text is None:
        return None
    if kind == "integer":
        return int(text)
    if kind == "number":
        return float(text)
    return text


class AthenaReports:
    def __init__(self, client: AthenaClient, workgroup: str, database: str, wait_s: float = 25.0) -> None:
        self._athena = client
        self._workgroup = workgroup
        self._database = database
        self._wait_s = wait_s

    def run(self, sql: str) -> ReportResult:
        query_id = self._athena.start_query_execution(
            QueryString=sql, WorkGroup=self._workgroup, QueryExecutionContext={"Database": self._database}
        )["QueryExecutionId"]
        deadline, pause = time.monotonic() + self._wait_s, 0.2
        while True:
            status = self._athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
            state = status["State"]
            if state == "SUCCEEDED":
                break
            if state in ("FAILED", "CANCELLED"):
                raise ReportFailed(status.get("StateChangeReason", state))
            if time.monotonic() > deadline:
                self._athena.stop_query_execution(QueryExecutionId=query_id)
                raise ReportFailed(f"query {query_id} took longer than {self._wait_s}s")
            time.sleep(pause)
            pause = min(pause * 2, 2.0)
        columns: tuple[Column, ...] = ()
        rows: list[tuple[Any, ...]] = []
        first = True
        for page in self._athena.get_paginator("get_query_results").paginate(QueryExecutionId=query_id):
            info = page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
            columns = tuple(Column(c["Name"], _KINDS.get(c["Type"], "number")) for c in info)
            data = page["ResultSet"]["Rows"]
            if first:  # the first row of the first page is the header
                data, first = data[1:], False
            for r in data:
                cells = [d.get("VarCharValue") for d in r["Data"]]
                rows.append(tuple(_value(v, c.type) for v, c in zip(cells, columns, strict=True)))
        return ReportResult(columns, tuple(rows))

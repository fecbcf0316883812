"""The Athena report engine against moto's Athena: the query goes to the workgroup and database it
was given, the header row is dropped and values are typed by the result's column types."""

from __future__ import annotations

from datetime import date
from typing import Any

import boto3
from moto import mock_aws
from moto.athena.models import QueryResults, athena_backends

from shared.adapters.athena_reports import AthenaReports
from shared.analytics import catalog
from shared.analytics.scope import Scope
from shared.usecases.analytics import run_report

ACCOUNT, REGION = "123456789012", "us-east-1"


def _cells(*values: str) -> dict[str, object]:
    return {"Data": [{"VarCharValue": v} for v in values]}


def test_a_report_runs_in_the_workgroup_and_comes_back_typed():
    with mock_aws():
        athena = boto3.client("athena", region_name=REGION)
        athena.create_work_group(Name="waybill-analytics")
        backend = athena_backends[ACCOUNT][REGION]
        columns = [{"Name": "cause", "Type": "varchar"}, {"Name": "currency", "Type": "varchar"}]
        columns += [{"Name": n, "Type": "bigint"} for n in ("refunds", "amount", "orders")]
        backend.query_results_queue.append(
            QueryResults(
                [_cells("cause", "currency", "refunds", "amount", "orders"), _cells("return", "USD", "2", "3000", "2")],
                columns,
            )
        )
        engine = AthenaReports(athena, "waybill-analytics", "waybill_analytics", wait_s=5)
        answer = run_report(catalog.report("refunds"), Scope(date(2026, 3, 1), date(2026, 3, 7)), engine)
        assert answer.rows() == [{"cause": "return", "currency": "USD", "refunds": 2, "amount": 3000, "orders": 2}]
        # moto's annotations call the context a str; it is the request's dict
        [execution] = list[Any](backend.executions.values())
        assert execution.workgroup.name == "waybill-analytics"
        assert execution.context["Database"] == "waybill_analytics"
        assert "FROM fact_rows AS r WHERE r.dt >= '2026/03/01'" in execution.query

"""ExecutionHistory on Step Functions: DescribeExecution and GetExecutionHistory (every page); an
Express execution's events from its state machine's log group (FilterLogEvents), where Step Functions
writes one JSON event per history event (an Express execution has no history API)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared.usecases.executions import ExecutionInfo

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient


class StepFunctionsHistory:
    def __init__(
        self,
        client: SFNClient,
        state_machines: Mapping[str, str],
        *,
        logs: Any = None,  # a CloudWatch Logs client
        log_groups: Mapping[str, str] | None = None,
    ) -> None:
        """`state_machines`: topology name -> state machine ARN; `log_groups`: topology name -> log
        group, for the Express machines among them."""
        self._sfn = client
        self._machines = dict(state_machines)
        self._logs = logs
        # physical machine name (an execution ARN's seventh field) -> its log group
        self._logged = {self._machines[n].rsplit(":", 1)[-1]: g for n, g in (log_groups or {}).items()}

    def execution_arn(self, state_machine: str, name: str) -> str:
        return f"{self._machines[state_machine].replace(':stateMachine:', ':execution:')}:{name}"

    def describe(self, arn: str) -> ExecutionInfo | None:
        try:
            d = self._sfn.describe_execution(executionArn=arn)
        except ClientError as err:
            if err.response["Error"]["Code"] in ("ExecutionDoesNotExist", "InvalidArn"):
                return None
            raise
        machine_arn = d["stateMachineArn"]
        machine = next((name for name, a in self._machines.items() if a == machine_arn), machine_arn)
        return ExecutionInfo(
            arn=arn,
            name=d["name"],
            state_machine=machine,
            status=d["status"],
            started_at=d["startDate"],
            stopped_at=d.get("stopDate"),
            error=d.get("error"),
            cause=d.get("cause"),
        )

    def events(self, arn: str, *, since: datetime | None = None, until: datetime | None = None) -> list[dict[str, Any]]:
        parts = arn.split(":")
        group = self._logged.get(parts[6]) if len(parts) > 6 else None
        if group is not None:
            return self._logged_events(arn, group, since, until)
        events: list[dict[str, Any]] = []
        params: dict[str, Any] = {"executionArn": arn, "maxResults": 1000, "includeExecutionData": True}
        while True:
            page = self._sfn.get_execution_history(**params)
            events.extend(dict(e) for e in page["events"])
            token = page.get("nextToken")
            if not token:
                return events
            params["nextToken"] = token

    def _logged_events(
        self, arn: str, group: str, since: datetime | None, until: datetime | None
    ) -> list[dict[str, Any]]:
        if self._logs is None:
            raise ValueError(f"no CloudWatch Logs client to read {arn}")
        # a quoted term: events containing exactly this ARN (then kept only if it is theirs)
        params: dict[str, Any] = {"logGroupName": group, "filterPattern": json.dumps(arn)}
        if since is not None:
            params["startTime"] = int(since.timestamp() * 1000)
        if until is not None:
            params["endTime"] = int(until.timestamp() * 1000)
        events: list[dict[str, Any]] = []
        for page in self._logs.get_paginator("filter_log_events").paginate(**params):
            for logged in page["events"]:
                event = history_event(json.loads(logged["message"]))
                if event is not None and event["executionArn"] == arn:
                    events.append(event)
        return sorted(events, key=lambda e: int(e["id"]))


def history_event(logged: Mapping[str, Any]) -> dict[str, Any] | None:
    """A logged execution event in GetExecutionHistory's shape (its details under one *EventDetails key)."""
    try:
        return {
            "id": int(logged["id"]),
            "previousEventId": int(logged.get("previous_event_id") or 0),
            "type": str(logged["type"]),
            "timestamp": datetime.fromtimestamp(int(logged["event_timestamp"]) / 1000, UTC),
            "executionArn": str(logged.get("execution_arn", "")),
            "loggedEventDetails": dict(logged.get("details") or {}),
        }
    except (KeyError, TypeError, ValueError):
        return None  # not an execution event (Step Functions writes nothing else there)

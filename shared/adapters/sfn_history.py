"""ExecutionHistory on Step Functions: DescribeExecution and GetExecutionHistory (every page), and
for a nested Express execution its events from the child machine's CloudWatch log group."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared.usecases.executions import ExecutionInfo, nested_executions, splice_children

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

# Express logs reach CloudWatch a little after the events; a child started before its parent's
# TaskSubmitted was recorded is found from a minute before.
_LOOK_BACK = timedelta(minutes=1)


class StepFunctionsHistory:
    def __init__(
        self,
        client: SFNClient,
        state_machines: Mapping[str, str],
        logs: Any = None,  # a CloudWatch Logs client (no stubs installed for it)
        child_log_groups: Mapping[str, str] | None = None,
    ) -> None:
        """`state_machines`: topology name -> state machine ARN; `child_log_groups`: an Express child's
        state machine name (as in its ARN) -> its log group."""
        self._sfn = client
        self._machines = dict(state_machines)
        self._logs = logs
        self._child_groups = dict(child_log_groups or {})

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

    def events(self, arn: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        params: dict[str, Any] = {"executionArn": arn, "maxResults": 1000, "includeExecutionData": True}
        while True:
            page = self._sfn.get_execution_history(**params)
            events.extend(dict(e) for e in page["events"])
            token = page.get("nextToken")
            if not token:
                break
            params["nextToken"] = token
        children = {
            submitted: self._child_events(child, at)
            for submitted, child, at in nested_executions(events)
            if _machine_of(child) in self._child_groups
        }
        return splice_children(events, children) if children else events

    def _child_events(self, arn: str, started: datetime) -> list[dict[str, Any]]:
        """An Express execution's events, as CloudWatch Logs holds them (one JSON message each)."""
        assert self._logs is not None, "an Express child's history needs a CloudWatch Logs client"
        params: dict[str, Any] = {
            "logGroupName": self._child_groups[_machine_of(arn)],
            "filterPattern": f'"{arn}"',  # the execution's ARN, as a phrase in the message
            "startTime": int((started - _LOOK_BACK).timestamp() * 1000),
        }
        found: list[dict[str, Any]] = []
        while True:
            page = self._logs.filter_log_events(**params)
            for entry in page.get("events", []):
                event = _from_log(entry.get("message", ""))
                if event is not None and event.pop("execution_arn") == arn:
                    found.append(event)
            token = page.get("nextToken")
            if not token:
                return sorted(found, key=lambda e: int(e["id"]))
            params["nextToken"] = token


def _machine_of(execution_arn: str) -> str:
    """arn:aws:states:<region>:<account>:execution|express:<machine>:<name>[:<id>] -> <machine>"""
    parts = execution_arn.split(":")
    return parts[6] if len(parts) > 6 else ""


def _from_log(message: str) -> dict[str, Any] | None:
    """A Step Functions log message ({"id", "type", "details", "previous_event_id", "event_timestamp",
    "execution_arn"}) as the history event GetExecutionHistory would give."""
    try:
        log = json.loads(message)
        at = datetime.fromtimestamp(int(log["event_timestamp"]) / 1000, tz=UTC)
        event: dict[str, Any] = {
            "id": int(log["id"]),
            "previousEventId": int(log.get("previous_event_id") or 0),
            "type": str(log["type"]),
            "timestamp": at,
            "execution_arn": str(log["execution_arn"]),
        }
    except (ValueError, KeyError, TypeError):
        return None
    if isinstance(log.get("details"), dict):
        event["logEventDetails"] = log["details"]
    return event

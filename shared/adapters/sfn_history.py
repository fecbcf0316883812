"""ExecutionHistory on Step Functions: DescribeExecution and GetExecutionHistory (every page) for a
Standard execution; for an Express one, its events in its state machine's log group (FilterLogEvents),
where Step Functions writes one JSON event per history event (Express has no history API).

An Express execution is found by its machine and name (its ARN ends in an id made per start, which
the order does not know) within the minutes after the order recorded it: it runs five at most.
Started twice under one name (Express starts are at least once), the first one is the run's."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared.usecases.executions import ExecutionInfo

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

# an Express execution runs 5 minutes at most; its last events may be delivered a little later
_EXPRESS_WINDOW = timedelta(minutes=7)
_ENDS = {
    "ExecutionSucceeded": "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionTimedOut": "TIMED_OUT",
    "ExecutionAborted": "ABORTED",
}


class StepFunctionsHistory:
    def __init__(
        self,
        client: SFNClient,
        state_machines: Mapping[str, str],
        *,
        logs: Any = None,  # a CloudWatch Logs client, for the Express machines
        log_groups: Mapping[str, str] | None = None,
    ) -> None:
        """`state_machines`: topology name -> state machine ARN; `log_groups`: topology name -> its
        log group, for the Express machines among them."""
        self._sfn = client
        self._machines = dict(state_machines)
        self._logs = logs
        # physical machine name (an execution ARN's seventh field) -> (topology name, log group)
        self._express = {self._machines[n].rsplit(":", 1)[-1]: (n, g) for n, g in (log_groups or {}).items()}

    def execution_arn(self, state_machine: str, name: str) -> str:
        return f"{self._machines[state_machine].replace(':stateMachine:', ':execution:')}:{name}"

    def describe(self, arn: str, *, since: datetime | None = None) -> ExecutionInfo | None:
        if _machine(arn) in self._express:
            return self._describe_logged(arn, since)
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
        if _machine(arn) in self._express:
            return self._logged(arn, since, until)
        events: list[dict[str, Any]] = []
        params: dict[str, Any] = {"executionArn": arn, "maxResults": 1000, "includeExecutionData": True}
        while True:
            page = self._sfn.get_execution_history(**params)
            events.extend(dict(e) for e in page["events"])
            token = page.get("nextToken")
            if not token:
                return events
            params["nextToken"] = token

    # --- Express: from the log group ---------------------------------------------------------------

    def _logged(self, arn: str, since: datetime | None, until: datetime | None) -> list[dict[str, Any]]:
        """The events of the first execution of this machine and name, oldest first."""
        machine, name = _machine(arn), _name(arn)
        _, group = self._express[machine]
        start = since or datetime.now(UTC) - timedelta(days=1)
        params: dict[str, Any] = {
            "logGroupName": group,
            # a quoted term: events naming this machine and execution (then matched exactly below)
            "filterPattern": json.dumps(f"{machine}:{name}"),
            "startTime": int(start.timestamp() * 1000),
            "endTime": int((until or start + _EXPRESS_WINDOW).timestamp() * 1000),
        }
        runs: dict[str, list[dict[str, Any]]] = {}
        for page in self._logs.get_paginator("filter_log_events").paginate(**params):
            for logged in page["events"]:
                event = history_event(logged.get("message", ""))
                if event is not None and (_machine(event["executionArn"]), _name(event["executionArn"])) == (
                    machine,
                    name,
                ):
                    runs.setdefault(event["executionArn"], []).append(event)
        if not runs:
            return []
        first = min(runs.values(), key=lambda events: min(e["timestamp"] for e in events))
        return sorted(first, key=lambda e: int(e["id"]))

    def _describe_logged(self, arn: str, since: datetime | None) -> ExecutionInfo | None:
        events = self._logged(arn, since, None)
        started = next((e for e in events if e["type"] == "ExecutionStarted"), None)
        if started is None:
            return None
        ended = next((e for e in events if e["type"] in _ENDS), None)
        details = ended["loggedEventDetails"] if ended else {}
        return ExecutionInfo(
            arn=started["executionArn"],
            name=_name(arn),
            state_machine=self._express[_machine(arn)][0],
            status=_ENDS[ended["type"]] if ended else "RUNNING",
            started_at=started["timestamp"],
            stopped_at=ended["timestamp"] if ended else None,
            error=details.get("error"),
            cause=details.get("cause"),
        )


def _machine(arn: str) -> str:
    parts = arn.split(":")
    return parts[6] if len(parts) > 7 else ""


def _name(arn: str) -> str:
    return arn.split(":")[7]


def history_event(message: str) -> dict[str, Any] | None:
    """A logged execution event in GetExecutionHistory's shape (its details under one *EventDetails
    key); None for anything else."""
    try:
        logged = json.loads(message)
        return {
            "id": int(logged["id"]),
            "previousEventId": int(logged.get("previous_event_id") or 0),
            "type": str(logged["type"]),
            "timestamp": datetime.fromtimestamp(int(logged["event_timestamp"]) / 1000, UTC),
            "executionArn": str(logged["execution_arn"]),
            "loggedEventDetails": dict(logged.get("details") or {}),
        }
    except (KeyError, TypeError, ValueError):
        return None

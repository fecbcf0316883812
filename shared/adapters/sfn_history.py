"""ExecutionHistory on Step Functions: DescribeExecution and GetExecutionHistory (every page)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared.usecases.executions import ExecutionInfo

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient


class StepFunctionsHistory:
    def __init__(self, client: SFNClient, state_machines: Mapping[str, str]) -> None:
        """`state_machines`: topology name -> state machine ARN."""
        self._sfn = client
        self._machines = dict(state_machines)

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
                return events
            params["nextToken"] = token

"""Workflow on Step Functions: executions named after the order's run, so starting twice is harmless.

A Standard execution's ARN is known from its name, and starting it again is a no-op. An Express
execution's ARN carries an id Step Functions makes per start, so the order records it by name
(`...:express:<machine>:<name>`, without the id) and the ops view finds it in the machine's log group;
starting it again runs it again (its steps are idempotent), and it cannot be stopped (it ends within
five minutes; its steps look at the order first)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient


class StepFunctionsStopper:
    """Stops a Standard execution of any machine the caller may stop (the ARN says which)."""

    def __init__(self, client: SFNClient, error: str = "OrderCancelled") -> None:
        self._sfn = client
        self._error = error

    def stop(self, execution_arn: str, cause: str) -> bool:
        if ":express:" in execution_arn:
            return False  # it ends by itself within five minutes
        try:
            described = self._sfn.describe_execution(executionArn=execution_arn)
        except ClientError as err:
            # recorded just before it was to start, and never started (the step died between)
            if err.response["Error"]["Code"] != "ExecutionDoesNotExist":
                raise
            return False
        if described["status"] != "RUNNING":
            return False
        self._sfn.stop_execution(executionArn=execution_arn, error=self._error, cause=cause[:32768])
        return True


class StepFunctionsWorkflow:
    def __init__(self, client: SFNClient, state_machine_arn: str, *, express: bool = False) -> None:
        self._sfn = client
        self._arn = state_machine_arn
        self._kind = ":express:" if express else ":execution:"
        self._stopper = StepFunctionsStopper(client)

    def execution_arn(self, name: str) -> str:
        return f"{self._arn.replace(':stateMachine:', self._kind)}:{name}"

    def stop(self, execution_arn: str, cause: str) -> bool:
        return self._stopper.stop(execution_arn, cause)

    def running(self, name: str) -> bool:
        try:
            described = self._sfn.describe_execution(executionArn=self.execution_arn(name))
        except ClientError as err:
            if err.response["Error"]["Code"] != "ExecutionDoesNotExist":
                raise
            return False
        return described["status"] == "RUNNING"

    def start(self, name: str, payload: dict[str, Any]) -> None:
        try:
            self._sfn.start_execution(stateMachineArn=self._arn, name=name, input=json.dumps(payload))
        except ClientError as err:
            if err.response["Error"]["Code"] != "ExecutionAlreadyExists":
                raise

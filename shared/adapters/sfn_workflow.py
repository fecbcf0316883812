"""Workflow on Step Functions: one execution per order, named after it so starting twice is harmless."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient


class StepFunctionsWorkflow:
    def __init__(self, client: SFNClient, state_machine_arn: str) -> None:
        self._sfn = client
        self._arn = state_machine_arn

    def execution_arn(self, name: str) -> str:
        return f"{self._arn.replace(':stateMachine:', ':execution:')}:{name}"

    def stop(self, execution_arn: str, cause: str) -> bool:
        described = self._sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return False
        self._sfn.stop_execution(executionArn=execution_arn, error="OrderCancelled", cause=cause[:32768])
        return True

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

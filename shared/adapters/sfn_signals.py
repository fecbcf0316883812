"""TaskSignals on Step Functions' callback API (SendTaskSuccess/Failure/Heartbeat)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

# The token's task ended (answered, timed out, execution stopped): nobody waits on it any more.
_GONE = {"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"}


class StepFunctionsSignals:
    def __init__(self, client: SFNClient) -> None:
        self._sfn = client

    def succeed(self, token: str, output: dict[str, Any]) -> bool:
        return self._call(lambda: self._sfn.send_task_success(taskToken=token, output=json.dumps(output)))

    def fail(self, token: str, error: str, cause: str) -> bool:
        return self._call(lambda: self._sfn.send_task_failure(taskToken=token, error=error, cause=cause[:32768]))

    def heartbeat(self, token: str) -> bool:
        return self._call(lambda: self._sfn.send_task_heartbeat(taskToken=token))

    @staticmethod
    def _call(send: Any) -> bool:
        try:
            send()
        except ClientError as err:
            if err.response["Error"]["Code"] in _GONE:
                return False
            raise
        return True

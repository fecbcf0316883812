"""moto's Step Functions interpreter, changed where it differs from AWS for a nested Express execution.

- `states:startExecution.sync:2`: moto's port of the interpreter leaves out the step that maps a
  task's Parameters to the SDK's request (`StateMachineArn` -> `stateMachineArn`) and its answer back
  (`executionArn` -> `ExecutionArn`), so the call fails. Here both are done as AWS does for this
  integration (top-level keys, and the keys of its `...Details` objects).
- An Express machine's history: AWS has no GetExecutionHistory for Express executions; their events
  go to the machine's CloudWatch log group (its logging configuration). moto never hands the
  interpreter a logging session, and the session it has would store nothing (it gives the logs
  backend events without `timestamp`/`message`). Here an execution of a machine with logging
  configured gets a session, and each event is stored as AWS writes it: one JSON message per event.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from moto.logs.exceptions import ResourceAlreadyExistsException
from moto.stepfunctions.parser import models as parser_models
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (
    StateTaskServiceSfn,
)
from moto.stepfunctions.parser.asl.eval.event import logging as sfn_logging
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str
from moto.stepfunctions.parser.backend.execution import Execution


def _request_cased(key: str) -> str:
    return key[:1].lower() + key[1:]


def _integration_cased(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    return {
        key[:1].upper() + key[1:]: _integration_cased(v) if key.endswith("Details") else v for key, v in value.items()
    }


_ORIGINAL_PARAMETERS = StateTaskServiceSfn._normalise_parameters


def _parameters(self: StateTaskServiceSfn, parameters: dict[str, Any], *args: Any, **kwargs: Any) -> None:
    _ORIGINAL_PARAMETERS(self, parameters, *args, **kwargs)
    for key in list(parameters):
        parameters[_request_cased(key)] = parameters.pop(key)


def _response(_self: StateTaskServiceSfn, response: Any, *_args: Any, **_kwargs: Any) -> None:
    if isinstance(response, dict):
        cased = _integration_cased(response)
        response.clear()
        response.update(cased)


class _LoggedExecution(Execution):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        machine = kwargs["state_machine"]
        config = getattr(machine, "loggingConfiguration", None) or {}
        if kwargs.get("cloud_watch_logging_session") is None and config.get("level", "OFF") != "OFF":
            found = sfn_logging.CloudWatchLoggingConfiguration.from_logging_configuration(machine.arn, config)  # type: ignore[arg-type]
            if found is not None:
                kwargs["cloud_watch_logging_session"] = sfn_logging.CloudWatchLoggingSession(kwargs["exec_arn"], found)
        super().__init__(*args, **kwargs)


def _publish(self: sfn_logging.CloudWatchLoggingSession, history_log: sfn_logging.HistoryLog) -> None:
    at = history_log["event_timestamp"]
    when = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
    millis = int(when.timestamp() * 1000)
    message = dict(history_log, event_timestamp=str(millis))  # AWS writes epoch milliseconds, as text
    logs: Any = self._logs_client  # moto's logs backend itself
    config = self.configuration
    with contextlib.suppress(ResourceAlreadyExistsException):  # every execution writes to the machine's stream
        logs.create_log_stream(config.log_group_name, config.log_stream_name)
    events = [{"timestamp": millis, "message": to_json_str(message)}]
    logs.put_log_events(log_group_name=config.log_group_name, log_stream_name=config.log_stream_name, log_events=events)


def behave_like_aws() -> None:
    StateTaskServiceSfn._normalise_parameters = _parameters  # type: ignore[method-assign]
    StateTaskServiceSfn._normalise_response = _response  # type: ignore[method-assign,assignment]
    parser_models.Execution = _LoggedExecution  # type: ignore[attr-defined]
    sfn_logging.CloudWatchLoggingSession.publish_history_log = _publish  # type: ignore[method-assign]

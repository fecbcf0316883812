"""Nested Express executions on moto, as AWS runs them (local only).

The fulfilment machine runs its synchronous steps as an Express child through the optimized
integration `states:startExecution.sync:2`. moto's interpreter has that integration, but:

- it passes the ASL's parameters (`StateMachineArn`, `Name`, `Input`) to botocore unconverted, which
  rejects them; AWS maps them to the API's members. They are given botocore's member names here;
- it returns the API's answer with botocore's member names (`executionArn`); AWS returns the
  ASL's (`ExecutionArn`, and for `.sync:2` the child's `Output` as JSON). They are renamed back;
- it never writes an execution's events to the state machine's log group (the logging session is
  not created, and its publisher could not write a moto log event). AWS writes one JSON event per
  history event, `{"id", "previous_event_id", "event_timestamp", "type", "execution_arn",
  "details"}`; the ops view reads an Express execution's steps from there, so it is written here
  in that shape.
"""

from __future__ import annotations

import datetime
from typing import Any

from moto.logs.exceptions import ResourceNotFoundException
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (
    StateTaskServiceSfn,
)
from moto.stepfunctions.parser.asl.eval.event.logging import (
    CloudWatchLoggingConfiguration,
    CloudWatchLoggingSession,
)
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str
from moto.stepfunctions.parser.backend.execution import Execution

_applied = False


def _parameters(original: Any) -> Any:
    def normalise(self: Any, parameters: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original(self, parameters, *args, **kwargs)  # serializes Input as AWS does
        for key in list(parameters):
            parameters[key[0].lower() + key[1:]] = parameters.pop(key)

    return normalise


def _response(_self: Any, response: Any, *_args: Any, **_kwargs: Any) -> None:
    if isinstance(response, dict):
        for key in list(response):
            response[key[0].upper() + key[1:]] = response.pop(key)


def _logged(original: Any) -> Any:
    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        machine = kwargs.get("state_machine")
        logging = getattr(machine, "loggingConfiguration", None) or {}
        if kwargs.get("cloud_watch_logging_session") is None and logging.get("level", "OFF") != "OFF":
            config = CloudWatchLoggingConfiguration.from_logging_configuration(machine.arn, logging)  # type: ignore[union-attr,arg-type]
            if config is not None:
                kwargs["cloud_watch_logging_session"] = CloudWatchLoggingSession(kwargs["exec_arn"], config)
        original(self, *args, **kwargs)

    return init


def _publish(self: CloudWatchLoggingSession, history_log: Any) -> None:
    at = history_log["event_timestamp"]
    when = datetime.datetime.fromisoformat(at) if isinstance(at, str) else at
    millis = int(when.timestamp() * 1000)
    message = to_json_str(dict(history_log, event_timestamp=str(millis)))  # AWS writes epoch millis
    events = [{"timestamp": millis, "message": message}]
    group, stream = self.configuration.log_group_name, self.configuration.log_stream_name
    logs: Any = self._logs_client
    try:
        logs.put_log_events(group, stream, events)
    except ResourceNotFoundException:
        logs.create_log_stream(group, stream)
        logs.put_log_events(group, stream, events)


def apply() -> None:
    global _applied
    if _applied:
        return
    _applied = True
    StateTaskServiceSfn._normalise_parameters = _parameters(StateTaskServiceSfn._normalise_parameters)  # type: ignore[method-assign]
    StateTaskServiceSfn._normalise_response = _response  # type: ignore[method-assign,assignment]
    Execution.__init__ = _logged(Execution.__init__)  # type: ignore[method-assign]
    CloudWatchLoggingSession.publish_history_log = _publish  # type: ignore[method-assign]

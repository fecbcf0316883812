"""An execution's events in its state machine's log group, as AWS writes them (local only).

moto never writes them: it creates no logging session for an execution, and its publisher could
not write a moto log event (it passes a dict moto's log event cannot read, and a timestamp already
turned into text). AWS writes one JSON event per history event, `{"id", "previous_event_id",
"event_timestamp" (epoch milliseconds as text), "type", "execution_arn", "details"}`; the ops view
reads an Express execution's steps from there (it has no history API), so it is written here in
that shape for every state machine whose logging configuration asks for it.
"""

from __future__ import annotations

import datetime
from typing import Any

from moto.logs.exceptions import ResourceNotFoundException
from moto.stepfunctions.parser.asl.eval.event.logging import (
    CloudWatchLoggingConfiguration,
    CloudWatchLoggingSession,
)
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str
from moto.stepfunctions.parser.backend.execution import Execution

_applied = False


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
    Execution.__init__ = _logged(Execution.__init__)  # type: ignore[method-assign]
    CloudWatchLoggingSession.publish_history_log = _publish  # type: ignore[method-assign]

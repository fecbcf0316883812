"""An order's executions, step by step, from Step Functions' execution history.

`steps_of` turns a GetExecutionHistory event list into one step per state entered: when it was
entered and left, how long it took, how it ended, how many times its task was retried and the last
error, and its input and output with personal data masked. It is a pure function of the events;
the same events come from moto's interpreter on the embedded stack and from AWS.

Events are tied to their state by `previousEventId` (each event names the one it follows in its own
branch, so parallel Map iterations do not mix); where an emulator leaves that link out, an event
belongs to the latest open state it can belong to.

An Express execution (an order run's preparation) has no history API: its events come from its
state machine's log group, found by its machine and name around the time the order recorded it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from shared.domain.errors import DomainError
from shared.domain.order import Order
from shared.logging import mask
from shared.records import record
from shared.topology import RETURNS

# Task lifecycle events (service integrations, and the older direct Lambda resource).
_SCHEDULED = frozenset({"TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled"})
_SUCCEEDED = frozenset({"TaskSucceeded", "LambdaFunctionSucceeded", "ActivitySucceeded"})
_FAILED = frozenset(
    {
        "TaskFailed",
        "TaskTimedOut",
        "TaskStartFailed",
        "TaskSubmitFailed",
        "LambdaFunctionFailed",
        "LambdaFunctionTimedOut",
        "LambdaFunctionStartFailed",
        "LambdaFunctionScheduleFailed",
        "ActivityFailed",
        "ActivityTimedOut",
        "ActivityScheduleFailed",
    }
)
_EXECUTION_END = {
    "ExecutionSucceeded": "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionTimedOut": "TIMED_OUT",
    "ExecutionAborted": "ABORTED",
}


class ExecutionNotFound(DomainError):
    code = "not_found"
    http_status = 404

    def __init__(self, order_id: str, name: str) -> None:
        super().__init__(f"order {order_id} has no execution {name}")


@dataclass
class Step:
    name: str
    type: str  # Task, Choice, Map, Pass, Wait, Succeed, Fail, Parallel
    entered_at: datetime
    exited_at: datetime | None = None
    # succeeded | caught (its task failed and a Catch took over) | failed | running
    outcome: str = "running"
    attempts: int = 0  # task attempts (retries = attempts - 1)
    error: str | None = None
    cause: str | None = None
    input: Any = None
    output: Any = None
    iteration: int | None = None  # the Map iteration the state ran in
    _last_attempt_failed: bool = field(default=False, repr=False)

    @property
    def duration_ms(self) -> int | None:
        if self.exited_at is None:
            return None
        return round((self.exited_at - self.entered_at).total_seconds() * 1000)

    @property
    def retries(self) -> int:
        return max(self.attempts - 1, 0)


@record
class ExecutionInfo:
    arn: str
    name: str
    state_machine: str
    status: str  # RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED
    started_at: datetime
    stopped_at: datetime | None
    error: str | None = None
    cause: str | None = None


@record
class ExecutionSteps:
    execution: ExecutionInfo
    steps: list[Step]


class ExecutionHistory(Protocol):
    def execution_arn(self, state_machine: str, name: str) -> str: ...

    def describe(self, arn: str, *, since: datetime | None = None) -> ExecutionInfo | None:
        """None when there is no such execution (never started, or expired from the history).
        `since`: when it was started at the earliest (an Express execution is searched for from then)."""

    def events(self, arn: str, *, since: datetime | None = None, until: datetime | None = None) -> list[dict[str, Any]]:
        """Every history event of the execution, oldest first, with its data (`since`/`until` bound
        an Express execution's search)."""


def masked(text: str | None) -> Any:
    """A state's input or output: its JSON with personal data masked (text that is not JSON, masked)."""
    if text is None:
        return None
    try:
        return mask(json.loads(text))
    except ValueError:
        return mask(text)


def _details(event: Mapping[str, Any]) -> Mapping[str, Any]:
    return next((v for k, v in event.items() if k.endswith("EventDetails") and isinstance(v, Mapping)), {})


def steps_of(events: Sequence[Mapping[str, Any]]) -> list[Step]:
    steps: list[Step] = []
    owner: dict[int, Step] = {}  # event id -> the step it belongs to
    iteration: dict[int, int] = {}  # event id -> the Map iteration it ran in
    failed_execution = False
    for event in events:
        kind, eid, prev = str(event["type"]), int(event["id"]), int(event.get("previousEventId") or 0)
        details = _details(event)
        if prev in iteration:
            iteration[eid] = iteration[prev]
        if kind == "MapIterationStarted":
            iteration[eid] = int(details.get("index", 0))
        if kind.endswith("StateEntered"):
            step = Step(
                name=str(details.get("name")),
                type=kind.removesuffix("StateEntered"),
                entered_at=event["timestamp"],
                input=masked(details.get("input")),
                iteration=iteration.get(eid),
            )
            steps.append(step)
            owner[eid] = step
            continue
        step_or_none = owner.get(prev) or _latest_open(steps, kind, details)
        if kind in _EXECUTION_END:
            failed_execution = kind != "ExecutionSucceeded"
        if step_or_none is None:
            continue
        step = step_or_none
        owner[eid] = step
        if kind in _SCHEDULED:
            step.attempts += 1
        elif kind in _SUCCEEDED:
            step._last_attempt_failed = False
        elif kind in _FAILED or (kind.endswith("Failed") and kind.startswith(step.type)):
            step._last_attempt_failed = True
            step.error = str(details.get("error")) if details.get("error") is not None else kind
            step.cause = mask(details["cause"]) if details.get("cause") is not None else None
        elif kind.endswith("StateExited"):
            step.exited_at = event["timestamp"]
            step.output = masked(details.get("output"))
            step.outcome = "caught" if step._last_attempt_failed else "succeeded"
    for step in steps:
        if step.exited_at is None and step.type in ("Succeed", "Fail"):
            step.exited_at = step.entered_at  # a terminal state has no exit event: it ends as it starts
            step.outcome = "failed" if step.type == "Fail" else "succeeded"
        elif step.exited_at is None and failed_execution:
            step.outcome = "failed"
    return steps


def _latest_open(steps: list[Step], kind: str, details: Mapping[str, Any]) -> Step | None:
    name = details.get("name") if kind.endswith("StateExited") else None
    for step in reversed(steps):
        if step.exited_at is not None or (name is not None and step.name != name):
            continue
        # a task event belongs to a task (or the Map/Parallel around it), never to a Choice or Pass
        if name is not None or step.type in ("Task", "Map", "Parallel"):
            return step
    return None


@record
class ExecutionRef:
    state_machine: str
    name: str
    arn: str | None  # None: recorded by name only (a return's, named after its RMA)
    started_at: datetime | None = None  # when the order recorded it, just before starting it


# an Express execution is searched for from a little before the order recorded it (clocks differ)
_SKEW = timedelta(minutes=1)


def order_executions(order: Order) -> list[ExecutionRef]:
    """The executions an order names: each run's preparation and its shipments' fulfilments, then one
    per return."""
    refs = [ExecutionRef(e.state_machine, e.arn.rsplit(":", 1)[-1], e.arn, e.started_at) for e in order.executions]
    refs += [ExecutionRef(RETURNS.name, rma.rma_id, None) for rma in order.returns]
    return refs


def _since(ref: ExecutionRef) -> datetime | None:
    return ref.started_at - _SKEW if ref.started_at else None


def _arn(ref: ExecutionRef, history: ExecutionHistory) -> str:
    return ref.arn or history.execution_arn(ref.state_machine, ref.name)


def list_executions(order: Order, *, history: ExecutionHistory) -> list[ExecutionInfo]:
    """The order's executions as Step Functions describes them (those it still has), oldest first."""
    found = [history.describe(_arn(ref, history), since=_since(ref)) for ref in order_executions(order)]
    return [info for info in found if info is not None]


def execution_steps(order: Order, name: str, *, history: ExecutionHistory) -> ExecutionSteps:
    """One of the order's executions with its steps; ExecutionNotFound for a name the order does not have."""
    ref = next((r for r in order_executions(order) if r.name == name), None)
    info = history.describe(_arn(ref, history), since=_since(ref)) if ref else None
    if ref is None or info is None:
        raise ExecutionNotFound(order.order_id, name)
    until = info.stopped_at + _SKEW if info.stopped_at else None
    events = history.events(_arn(ref, history), since=_since(ref), until=until)
    return ExecutionSteps(execution=info, steps=steps_of(events))

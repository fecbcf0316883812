"""A step that runs an Express child (startExecution.sync:2): its steps in the ops view, read from the
child's log group, and its failure recorded as the child step's own error."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.adapters.sfn_history import StepFunctionsHistory
from shared.usecases.executions import nested_executions, splice_children, steps_of
from shared.usecases.record_exception import child_failure, describe

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PARENT = "arn:aws:states:us-east-1:123456789012:stateMachine:Waybill-fulfilment"
CHILD = "arn:aws:states:us-east-1:123456789012:express:Waybill-prepare:ord_1-1:6b1d"


def _event(eid: int, prev: int, kind: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {"id": eid, "previousEventId": prev, "type": kind, "timestamp": T0 + timedelta(seconds=eid)}
    if details is not None:
        event["someEventDetails"] = details
    return event


def _parent() -> list[dict[str, Any]]:
    nested = {"resource": "startExecution.sync:2", "resourceType": "states"}
    return [
        _event(1, 0, "ExecutionStarted", {}),
        _event(2, 1, "TaskStateEntered", {"name": "Prepare", "input": "{}"}),
        _event(3, 2, "TaskScheduled", nested),
        _event(4, 3, "TaskStarted", nested),
        _event(5, 4, "TaskSubmitted", {**nested, "output": json.dumps({"ExecutionArn": CHILD})}),
        _event(6, 5, "TaskSucceeded", {**nested, "output": "{}"}),
        _event(7, 6, "TaskStateExited", {"name": "Prepare", "output": "{}"}),
        _event(8, 7, "MapStateEntered", {"name": "FulfilShipments", "input": "{}"}),
    ]


def _log(eid: int, prev: int, kind: str, details: dict[str, Any], arn: str = CHILD) -> dict[str, Any]:
    """One event as Step Functions writes it to an Express machine's log group."""
    at = int((T0 + timedelta(seconds=5, milliseconds=eid)).timestamp() * 1000)
    message = {"id": str(eid), "previous_event_id": str(prev), "event_timestamp": str(at), "type": kind}
    return {"timestamp": at, "message": json.dumps(message | {"execution_arn": arn, "details": details})}


CHILD_LOG = [
    _log(1, 0, "ExecutionStarted", {"roleArn": "arn:aws:iam::123456789012:role/states"}),
    _log(2, 0, "TaskStateEntered", {"name": "CheckPayment"}),
    _log(3, 2, "TaskScheduled", {"resource": "invoke", "resourceType": "lambda"}),
    _log(4, 3, "TaskSucceeded", {"resource": "invoke", "resourceType": "lambda"}),
    _log(5, 4, "TaskStateExited", {"name": "CheckPayment"}),
    _log(6, 5, "ChoiceStateEntered", {"name": "PaymentVerified"}),
    _log(7, 6, "ChoiceStateExited", {"name": "PaymentVerified"}),
    _log(8, 7, "SucceedStateEntered", {"name": "HeldForPayment"}),
    _log(9, 8, "ExecutionSucceeded", {}),
    # another execution of the same machine, in the same stream: not this one's
    _log(2, 0, "TaskStateEntered", {"name": "CheckPayment"}, arn=CHILD.replace("ord_1", "ord_2")),
]


class FakeSfn:
    def get_execution_history(self, **_: Any) -> dict[str, Any]:
        return {"events": _parent()}


class FakeLogs:
    def __init__(self) -> None:
        self.asked: list[dict[str, Any]] = []

    def filter_log_events(self, **params: Any) -> dict[str, Any]:
        self.asked.append(params)
        # the phrase filter of moto, and of AWS for an ARN: the message contains it
        phrase = params["filterPattern"].strip('"')
        return {"events": [e for e in CHILD_LOG if phrase in e["message"]]}


def test_the_parent_names_the_child_execution_its_step_started():
    assert nested_executions(_parent()) == [(5, CHILD, T0 + timedelta(seconds=5))]


def test_the_childs_steps_follow_the_step_that_ran_it_and_the_parent_goes_on_after():
    logs = FakeLogs()
    history = StepFunctionsHistory(FakeSfn(), {"fulfilment": PARENT}, logs, {"Waybill-prepare": "/aws/states/prepare"})  # type: ignore[arg-type]
    steps = steps_of(history.events(f"{PARENT}:ord_1-1"))
    assert [(s.name, s.type, s.outcome) for s in steps] == [
        ("Prepare", "Task", "succeeded"),
        ("CheckPayment", "Task", "succeeded"),
        ("PaymentVerified", "Choice", "succeeded"),
        ("HeldForPayment", "Succeed", "succeeded"),
        ("FulfilShipments", "Map", "running"),
    ]
    assert steps[1].attempts == 1
    (asked,) = logs.asked
    assert asked["logGroupName"] == "/aws/states/prepare"
    assert asked["startTime"] <= int((T0 + timedelta(seconds=5)).timestamp() * 1000)


def test_without_the_childs_log_group_the_parent_steps_are_shown_as_they_are():
    history = StepFunctionsHistory(FakeSfn(), {"fulfilment": PARENT})  # type: ignore[arg-type]
    assert [s.name for s in steps_of(history.events(f"{PARENT}:ord_1-1"))] == ["Prepare", "FulfilShipments"]


def test_splicing_renumbers_the_child_after_the_parent_and_leaves_out_its_start_and_end():
    child = [
        _event(1, 0, "ExecutionStarted", {}),
        _event(2, 0, "PassStateEntered", {"name": "A"}),
        _event(3, 2, "PassStateExited", {"name": "A"}),
        _event(4, 3, "ExecutionSucceeded", {}),
    ]
    spliced = splice_children(_parent(), {5: child})
    assert [e["id"] for e in spliced] == [1, 2, 3, 4, 5, 9, 10, 6, 7, 8]
    assert [(e["id"], e["previousEventId"]) for e in spliced if e["id"] in (9, 10)] == [(9, 5), (10, 9)]


def test_a_failed_child_is_recorded_as_its_own_steps_error():
    lambda_error = json.dumps({"errorMessage": "Stripe did not answer", "errorType": "PaymentProviderUnavailable"})
    described = {
        "ExecutionArn": CHILD,
        "Status": "FAILED",
        "Error": "PaymentProviderUnavailable",
        "Cause": lambda_error,
    }
    error = {"Error": "States.TaskFailed", "Cause": json.dumps(described)}
    assert child_failure(error) == {"Error": "PaymentProviderUnavailable", "Cause": lambda_error}
    assert describe(child_failure(error)) == "PaymentProviderUnavailable: Stripe did not answer"
    # any other failure is left as it is
    other = {"Error": "States.TaskFailed", "Cause": "Lambda said no"}
    assert child_failure(other) == other
    assert child_failure({"Error": "States.Timeout", "Cause": ""}) == {"Error": "States.Timeout", "Cause": ""}

"""Execution history to steps: timing, outcome, retries, errors, Map iterations, masked data."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.domain.order import Customer, Delivery, Execution, place
from shared.domain.values import Address
from shared.usecases.executions import ExecutionInfo, ExecutionNotFound, execution_steps, list_executions, steps_of
from tests.unit.fakes_ops_reads import FakeHistory

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
MACHINES = {
    "fulfilment": "arn:aws:states:eu-west-1:210987654321:stateMachine:waybill-fulfilment",
    "returns": "arn:aws:states:eu-west-1:210987654321:stateMachine:waybill-returns",
}


class History:
    """Builds an AWS-shaped history: each event follows `after` (default: the previous one)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def add(self, kind: str, details: dict[str, Any] | None = None, after: int | None = None, ms: int = 10) -> int:
        eid = len(self.events) + 1
        prev = eid - 1 if after is None else after
        at = T0 + timedelta(milliseconds=ms * eid)
        event: dict[str, Any] = {"id": eid, "previousEventId": prev, "type": kind, "timestamp": at}
        if details is not None:
            key = kind[0].lower() + kind[1:]
            if kind.endswith("StateEntered"):
                key = "stateEntered"
            elif kind.endswith("StateExited"):
                key = "stateExited"
            event[f"{key}EventDetails"] = details
        self.events.append(event)
        return eid


def _task(h: History, name: str, results: list[str], after: int | None = None, exit_: bool = True) -> int:
    last = h.add("TaskStateEntered", {"name": name, "input": json.dumps({"order_id": "ord_1"})}, after=after)
    for result in results:
        last = h.add("TaskScheduled", {"resource": "invoke", "resourceType": "lambda"}, after=last)
        last = h.add("TaskStarted", {}, after=last)
        if result == "ok":
            last = h.add("TaskSucceeded", {"output": json.dumps({"ok": True})}, after=last)
        else:
            last = h.add(
                "TaskFailed", {"error": result, "cause": "node dc-east said no to ada@example.com"}, after=last
            )
    if exit_:
        last = h.add("TaskStateExited", {"name": name, "output": json.dumps({"order_id": "ord_1"})}, after=last)
    return last


def test_a_task_that_succeeds_after_retries_shows_its_attempts_and_last_error():
    h = History()
    h.add("ExecutionStarted", {"input": "{}"})
    _task(h, "ReserveOrder", ["States.Timeout", "Lambda.ServiceException", "ok"])
    h.add("ExecutionSucceeded", {"output": "{}"})
    [step] = steps_of(h.events)
    assert (step.name, step.type, step.outcome) == ("ReserveOrder", "Task", "succeeded")
    assert (step.attempts, step.retries, step.error) == (3, 2, "Lambda.ServiceException")
    assert step.exited_at is not None
    assert step.duration_ms == (step.exited_at - step.entered_at) / timedelta(milliseconds=1) > 0
    assert step.input == {"order_id": "ord_1"}


def test_a_caught_failure_then_a_failed_execution():
    h = History()
    h.add("ExecutionStarted", {"input": "{}"})
    _task(h, "CheckPayment", ["Stripe.Down", "Stripe.Down"])
    last = _task(h, "RecordException", ["ok"])
    h.add("FailStateEntered", {"name": "Failed", "input": "{}"}, after=last)
    h.add("ExecutionFailed", {"error": "Stripe.Down", "cause": "gave up"})
    check, record, failed = steps_of(h.events)
    assert (check.outcome, check.error, check.retries) == ("caught", "Stripe.Down", 1)
    assert check.cause == "node dc-east said no to *****"  # the e-mail address is masked
    assert record.outcome == "succeeded"
    assert (failed.type, failed.outcome, failed.duration_ms) == ("Fail", "failed", 0)


def test_a_state_still_open_when_the_execution_times_out_failed_and_one_still_running_is_running():
    h = History()
    h.add("ExecutionStarted", {"input": "{}"})
    _task(h, "AwaitDelivery", [], exit_=False)
    assert steps_of(h.events)[0].outcome == "running"
    h.add("ExecutionTimedOut", {})
    [step] = steps_of(h.events)
    assert (step.outcome, step.exited_at, step.duration_ms) == ("failed", None, None)


def test_parallel_map_iterations_keep_their_own_steps():
    h = History()
    h.add("ExecutionStarted", {"input": "{}"})
    m = h.add("MapStateEntered", {"name": "FulfilShipments", "input": "{}"})
    started = h.add("MapStateStarted", {"length": 2}, after=m)
    i0 = h.add("MapIterationStarted", {"name": "FulfilShipments", "index": 0}, after=started)
    i1 = h.add("MapIterationStarted", {"name": "FulfilShipments", "index": 1}, after=started)
    # both iterations run BuyLabel at once; their events interleave
    e0 = h.add("TaskStateEntered", {"name": "BuyLabel", "input": "{}"}, after=i0)
    e1 = h.add("TaskStateEntered", {"name": "BuyLabel", "input": "{}"}, after=i1)
    s1 = h.add("TaskScheduled", {}, after=e1)
    s0 = h.add("TaskScheduled", {}, after=e0)
    f1 = h.add("TaskFailed", {"error": "CarrierUnavailable", "cause": "down"}, after=s1)
    ok0 = h.add("TaskSucceeded", {"output": "{}"}, after=s0)
    h.add("TaskStateExited", {"name": "BuyLabel", "output": "{}"}, after=ok0)
    h.add("TaskStateExited", {"name": "BuyLabel", "output": "{}"}, after=f1)
    steps = [s for s in steps_of(h.events) if s.name == "BuyLabel"]
    assert [(s.iteration, s.outcome, s.error) for s in steps] == [
        (0, "succeeded", None),
        (1, "caught", "CarrierUnavailable"),
    ]


def test_personal_data_in_inputs_and_outputs_is_masked():
    h = History()
    h.add("ExecutionStarted", {"input": "{}"})
    doc = {"order_id": "ord_1", "customer": {"email": "ada@example.com"}, "ship_to": {"line1": "1 Main"}}
    entered = h.add("PassStateEntered", {"name": "Shape", "input": json.dumps(doc)})
    h.add("PassStateExited", {"name": "Shape", "output": json.dumps({"note": "mail ada@example.com"})}, after=entered)
    [step] = steps_of(h.events)
    assert step.input == {"order_id": "ord_1", "customer": "*****", "ship_to": "*****"}
    assert step.output == {"note": "mail *****"}
    assert "ada@example.com" not in json.dumps([step.input, step.output, step.cause])


def test_events_without_previous_ids_as_moto_writes_some_still_find_their_state():
    h = History()
    h.add("ExecutionStarted", {"input": "{}"})
    h.add("TaskStateEntered", {"name": "CheckPayment", "input": "{}"}, after=0)
    h.add("TaskScheduled", {})
    h.add("TaskSucceeded", {"output": "{}"}, after=0)
    h.add("TaskStateExited", {"name": "CheckPayment", "output": "{}"}, after=0)
    h.add("ChoiceStateEntered", {"name": "PaymentVerified", "input": "{}"}, after=0)
    h.add("ChoiceStateExited", {"name": "PaymentVerified", "output": "{}"}, after=0)
    steps = steps_of(h.events)
    assert [(s.name, s.outcome, s.attempts) for s in steps] == [
        ("CheckPayment", "succeeded", 1),
        ("PaymentVerified", "succeeded", 0),
    ]


def _order_with_execution():
    order = place(
        order_id="ord_1",
        channel="web",
        external_id="W-1",
        currency="USD",
        customer=Customer("a@example.com", "Ann"),
        ship_to=Address("Ann", "1 Main", "Austin", "TX", "73301", "US"),
        lines=[("A", 1, 100)],
        shipping_amount=0,
        tax_amount=0,
        payment_intent="pi_1",
        delivery=Delivery("ship", "standard"),
        at=T0,
    )
    arn = "arn:aws:states:eu-west-1:210987654321:execution:waybill-fulfilment:ord_1"
    order.start_execution(Execution(arn, "fulfilment", T0))
    return order, arn


def test_only_the_orders_own_executions_are_read():
    order, arn = _order_with_execution()
    history = FakeHistory(MACHINES)
    history.executions[arn] = ExecutionInfo(arn, "ord_1", "fulfilment", "RUNNING", T0, None)
    other = arn.replace("ord_1", "ord_2")
    history.executions[other] = ExecutionInfo(other, "ord_2", "fulfilment", "RUNNING", T0, None)
    assert [e.name for e in list_executions(order, history=history)] == ["ord_1"]
    assert execution_steps(order, "ord_1", history=history).execution.arn == arn
    with pytest.raises(ExecutionNotFound):
        execution_steps(order, "ord_2", history=history)


def test_a_nested_executions_steps_follow_the_state_that_started_it():
    """Prepare runs the preparation as a nested Express execution: its steps come from the history
    port by the ARN the TaskSubmitted event names, searched around Prepare's time, each `within` it."""
    order, arn = _order_with_execution()
    child = "arn:aws:states:eu-west-1:210987654321:express:waybill-preparation:ord_1:5f1c"
    parent = History()
    entered = parent.add("TaskStateEntered", {"name": "Prepare", "input": "{}"})
    parent.add("TaskScheduled", {"resource": "startExecution.sync:2", "resourceType": "states"})
    parent.add("TaskStarted", {})
    parent.add(
        "TaskSubmitted",
        {"resource": "startExecution.sync:2", "resourceType": "states", "output": json.dumps({"ExecutionArn": child})},
    )
    parent.add("TaskSucceeded", {"output": "{}"})
    parent.add("TaskStateExited", {"name": "Prepare", "output": "{}"})
    parent.add("MapStateEntered", {"name": "FulfilShipments", "input": "{}"})
    nested = History()
    _task(nested, "CheckPayment", ["ok"])
    _task(nested, "ReserveOrder", ["OrderBusy", "ok"])
    history = FakeHistory(MACHINES)
    history.executions[arn] = ExecutionInfo(arn, "ord_1", "fulfilment", "RUNNING", T0, None)
    history.history = {arn: parent.events, child: nested.events}

    steps = execution_steps(order, "ord_1", history=history).steps

    assert [(s.name, s.within) for s in steps] == [
        ("Prepare", None),
        ("CheckPayment", "Prepare"),
        ("ReserveOrder", "Prepare"),
        ("FulfilShipments", None),
    ]
    assert steps[0].nested == child
    assert (steps[2].attempts, steps[2].outcome) == (2, "succeeded")
    since, until = history.searched[child]
    assert since is not None
    assert until is not None
    assert since < parent.events[entered - 1]["timestamp"]
    assert until > parent.events[5]["timestamp"]
    # the parent itself is read without bounds
    assert history.searched[arn] == (None, None)


def test_a_logged_express_event_reads_as_a_history_event():
    """What Step Functions writes to an Express machine's log group, in GetExecutionHistory's shape."""
    from shared.adapters.sfn_history import history_event

    logged = {
        "id": "3",
        "previous_event_id": "2",
        "event_timestamp": "1772355600123",
        "type": "TaskStateExited",
        "execution_arn": "arn:aws:states:eu-west-1:210987654321:express:waybill-preparation:ord_1:5f1c",
        "details": {"name": "CheckPayment", "output": '{"order_id": "ord_1"}'},
    }
    event = history_event(logged)
    assert event is not None
    (step,) = steps_of(
        [
            {
                "id": 1,
                "previousEventId": 0,
                "type": "TaskStateEntered",
                "timestamp": T0,
                "stateEnteredEventDetails": {"name": "CheckPayment"},
            },
            dict(event, previousEventId=1),
        ]
    )
    assert (event["id"], event["previousEventId"], event["timestamp"]) == (
        3,
        2,
        datetime(2026, 3, 1, 9, 0, 0, 123000, tzinfo=UTC),
    )
    assert (step.name, step.outcome, step.output) == ("CheckPayment", "succeeded", {"order_id": "ord_1"})
    assert history_event({"message": "not an execution event"}) is None

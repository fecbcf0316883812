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


def test_an_express_run_is_searched_for_around_when_the_order_recorded_it():
    """A run's preparation (Express) has no history API: the port is asked for it by its recorded
    ARN, from a little before the order recorded it to a little after it ended."""
    order, _ = _order_with_execution()
    express = "arn:aws:states:eu-west-1:210987654321:express:waybill-preparation:ord_1"
    order.executions = [Execution(express, "preparation", T0)]
    history = FakeHistory(MACHINES)
    history.executions[express] = ExecutionInfo(
        express, "ord_1", "preparation", "SUCCEEDED", T0, T0 + timedelta(seconds=3)
    )
    steps = History()
    _task(steps, "CheckPayment", ["ok"])
    history.history[express] = steps.events
    found = execution_steps(order, "ord_1", history=history)
    assert [s.name for s in found.steps] == ["CheckPayment"]
    since, until = history.searched[express]
    assert since is not None
    assert until is not None
    assert since < T0 < T0 + timedelta(seconds=3) < until


class _Logs:
    """FilterLogEvents over a list of logged messages (the quoted term and the time bounds applied)."""

    def __init__(self, messages: list[tuple[int, dict[str, Any]]]) -> None:
        self.messages = messages
        self.asked: list[dict[str, Any]] = []

    def get_paginator(self, _name: str) -> Any:
        return self

    def paginate(self, **params: Any) -> Any:
        self.asked.append(params)
        term = json.loads(params["filterPattern"])
        events = [
            {"timestamp": at, "message": json.dumps(m)}
            for at, m in self.messages
            if term in json.dumps(m) and params["startTime"] <= at <= params["endTime"]
        ]
        return [{"events": events}]


def _logged(eid: int, kind: str, arn: str, at_ms: int, **details: Any) -> tuple[int, dict[str, Any]]:
    message = {
        "id": str(eid),
        "previous_event_id": str(eid - 1),
        "event_timestamp": str(at_ms),
        "type": kind,
        "execution_arn": arn,
        "details": details,
    }
    return at_ms, message


def test_an_express_execution_is_read_from_its_log_group_by_machine_and_name():
    from shared.adapters.sfn_history import StepFunctionsHistory

    t0 = int(T0.timestamp() * 1000)
    machines = {**MACHINES, "preparation": "arn:aws:states:eu-west-1:210987654321:stateMachine:waybill-preparation"}
    run = "arn:aws:states:eu-west-1:210987654321:express:waybill-preparation:ord_1:5f1c"  # as AWS names it
    replay = "arn:aws:states:eu-west-1:210987654321:express:waybill-preparation:ord_1:77aa"  # started twice
    other = "arn:aws:states:eu-west-1:210987654321:express:waybill-preparation:ord_1-retry-2:0b0b"
    logs = _Logs(
        [
            _logged(1, "ExecutionStarted", run, t0 + 10, input="{}"),
            _logged(2, "TaskStateEntered", run, t0 + 20, name="CheckPayment", input="{}"),
            _logged(3, "TaskStateExited", run, t0 + 900, name="CheckPayment", output='{"ok": true}'),
            _logged(1, "ExecutionStarted", replay, t0 + 500, input="{}"),
            _logged(1, "ExecutionStarted", other, t0 + 30, input="{}"),
            _logged(4, "ExecutionFailed", run, t0 + 1000, error="PaymentProviderUnavailable", cause="down"),
            (t0 + 40, {"message": "not an execution event"}),
        ]
    )
    history = StepFunctionsHistory(object(), machines, logs=logs, log_groups={"preparation": "/aws/vendedlogs/x"})  # type: ignore[arg-type]
    recorded = "arn:aws:states:eu-west-1:210987654321:express:waybill-preparation:ord_1"  # as the order records it

    info = history.describe(recorded, since=T0)
    assert info is not None
    assert (info.arn, info.status, info.error, info.cause) == (run, "FAILED", "PaymentProviderUnavailable", "down")
    steps = steps_of(history.events(recorded, since=T0, until=T0 + timedelta(seconds=5)))
    assert [(s.name, s.outcome, s.output) for s in steps] == [("CheckPayment", "succeeded", {"ok": True})]
    assert logs.asked[0]["logGroupName"] == "/aws/vendedlogs/x"
    assert logs.asked[0]["startTime"] == t0
    assert history.describe(recorded.replace("ord_1", "ord_9"), since=T0) is None

"""Step Functions Standard bills every state entered: the states an order's usual paths enter, read
from the ASL files. Routing-only states (a Choice after every step, a Pass that moves a field, a
Succeed at the end of a chain) were folded into the steps around them."""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def asl(name):
    return json.loads((ROOT / f"statemachines/{name}.asl.json").read_text())


def path(states, start, choices):
    """The states entered from `start`: each state's Next (the Choice named in `choices` goes there,
    any other Choice takes its Default), a Map's one iteration inside it, until the end."""
    entered, name = [], start
    while name is not None:
        state = states[name]
        entered.append(name)
        if state["Type"] == "Map":
            processor = state["ItemProcessor"]
            entered += path(processor["States"], processor["StartAt"], choices)
        if state["Type"] == "Choice":
            name = choices.get(name, state.get("Default"))
        elif state.get("End") or state["Type"] in ("Succeed", "Fail"):
            name = None
        else:
            name = state["Next"]
    return entered


def test_an_order_delivered_in_one_shipment_enters_three_standard_states():
    # 11 before: ReserveOrder releases the order too (no Release, no Reserved? Choice), HandOver's
    # own task token is answered by the delivered event (no AwaitDelivery), and the delivered email
    # is sent by the events function or the hand-over (no NotifyDelivered): 7. Then the run's
    # synchronous steps became an Express preparation (billed by duration) that starts one
    # Standard fulfilment per shipment (no order-level Map): 3.
    preparation = asl("preparation")
    assert path(preparation["States"], preparation["StartAt"], {}) == [
        "CheckPayment",
        "SendConfirmation",
        "ReserveOrder",
    ]
    fulfilment = asl("fulfilment")
    entered = path(fulfilment["States"], fulfilment["StartAt"], {})
    assert entered == ["RequestFulfilment", "BuyLabel", "HandOver"]


def test_the_express_preparation_waits_on_nothing_and_fits_its_five_minutes():
    """An Express execution cannot wait on a task token and ends at 5 minutes (with no catch): its
    steps' retries back off for at most 2 minutes in all, and each attempt is bounded."""
    states = asl("preparation")["States"]
    backoff = 0.0
    for name in ("CheckPayment", "SendConfirmation", "ReserveOrder"):
        state = states[name]
        assert "waitForTaskToken" not in state["Resource"]
        assert state["TimeoutSeconds"] <= 35
        assert [c["Next"] for c in state["Catch"]] == ["RecordException"]
        for retry in state["Retry"]:
            if retry["ErrorEquals"] == ["States.Timeout"]:
                continue  # counted with the attempts it follows, below
            backoff += sum(retry["IntervalSeconds"] * retry["BackoffRate"] ** n for n in range(retry["MaxAttempts"]))
    assert backoff <= 120
    busy = next(r for r in states["ReserveOrder"]["Retry"] if r["ErrorEquals"] == ["OrderBusy"])
    # longer than another attempt's lease on the order (shared/usecases/reserve_order.py LEASE_S)
    assert sum(busy["IntervalSeconds"] * busy["BackoffRate"] ** n for n in range(busy["MaxAttempts"])) > 60


def test_a_step_that_timed_out_is_tried_again_and_still_fails_within_the_five_minutes():
    """An attempt that never answers (an invocation queued or stalled past the task's timeout) is
    tried once more, as a step that failed would be; every step timing out on every attempt still
    reaches RecordException before Express ends the run."""
    states = asl("preparation")["States"]
    spent = 0.0
    for name in ("CheckPayment", "SendConfirmation", "ReserveOrder"):
        state = states[name]
        timeout = [r for r in state["Retry"] if "States.Timeout" in r["ErrorEquals"]]
        assert len(timeout) == 1, name
        (retry,) = timeout
        waits = [retry["IntervalSeconds"] * retry["BackoffRate"] ** n for n in range(retry["MaxAttempts"])]
        spent += (1 + retry["MaxAttempts"]) * state["TimeoutSeconds"] + sum(waits)
    assert spent < 300 - 10  # RecordException's own attempt fits in what is left


@pytest.mark.parametrize(
    ("opened", "entered"),
    [
        ("PayRefund", ["Opened?", "PayRefund", "EmailRefund"]),  # a return's refund arrives opened
        ("OpenRefund", ["Opened?", "OpenRefund", "Owed?", "PayRefund", "EmailRefund"]),  # a cancellation's
    ],
)
def test_a_refund_paid_and_emailed_enters_only_its_steps_and_their_routing(opened, entered):
    machine = asl("refunds")
    choices = {"Opened?": opened, "Owed?": "PayRefund"}
    assert path(machine["States"], machine["StartAt"], choices) == entered


def test_what_the_folded_choices_decided_still_reaches_an_end_that_says_so():
    preparation, fulfilment = asl("preparation")["States"], asl("fulfilment")["States"]
    # a held or backordered order passes SendConfirmation and ReserveOrder untouched (their use
    # cases' tests), gets no shipments from ReserveOrder, and no fulfilment is started
    assert preparation["ReserveOrder"]["ResultSelector"]["shipments.$"] == "$.Payload.shipments"
    assert preparation["ReserveOrder"]["Parameters"]["Payload"]["run.$"] == "$$.Execution.Name"
    assert preparation["ReserveOrder"]["End"] is True
    # a shipment's failure names the shipment and the failing execution to the compensation
    assert {"shipment_id.$", "execution.$"} <= set(fulfilment["RecordException"]["Parameters"]["Payload"])
    refunds = asl("refunds")["States"]
    # PayRefund raises RefundRejected for a refund Stripe refused: its catch records the failure
    assert [c["Next"] for c in refunds["PayRefund"]["Catch"]] == ["RecordRefundFailure"]
    assert refunds["Owed?"]["Choices"][0]["Variable"] == "$.owed"
    assert refunds["OpenRefund"]["ResultPath"] == "$"
    assert "order_id.$" in refunds["OpenRefund"]["ResultSelector"]

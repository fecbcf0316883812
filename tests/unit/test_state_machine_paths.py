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


def test_an_order_delivered_in_one_shipment_enters_five_standard_states():
    # 11 before: ReserveOrder releases the order too (no Release, no Reserved? Choice), HandOver's
    # own task token is answered by the delivered event (no AwaitDelivery), and the delivered email
    # is sent by the events function or the hand-over (no NotifyDelivered): 7. The synchronous
    # steps run as one nested Express execution (Prepare), billed by duration, not by transition: 5.
    machine = asl("fulfilment")
    entered = path(machine["States"], machine["StartAt"], {})
    assert entered == ["Prepare", "FulfilShipments", "RequestFulfilment", "BuyLabel", "HandOver"]
    prepare = machine["States"]["Prepare"]
    assert prepare["Resource"] == "arn:aws:states:::states:startExecution.sync:2"
    assert prepare["Parameters"]["StateMachineArn"] == "${PreparationStateMachineArn}"


def test_the_nested_preparation_runs_the_three_synchronous_steps_and_ends():
    machine = asl("preparation")
    assert path(machine["States"], machine["StartAt"], {}) == ["CheckPayment", "SendConfirmation", "ReserveOrder"]
    # no task token (Express cannot wait on one) and no catch: its failure fails Prepare, whose catch records it
    for state in machine["States"].values():
        assert "waitForTaskToken" not in state.get("Resource", "")
        assert "Catch" not in state


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
    fulfilment, preparation = asl("fulfilment")["States"], asl("preparation")["States"]
    # a held or backordered order passes SendConfirmation and ReserveOrder untouched (their use
    # cases' tests), gets no shipments from ReserveOrder, and its map runs nothing
    assert preparation["ReserveOrder"]["ResultPath"] == "$.reservation"
    assert preparation["ReserveOrder"]["ResultSelector"]["shipments.$"] == "$.Payload.shipments"
    assert fulfilment["Prepare"]["ResultSelector"]["reservation.$"] == "$.Output.reservation"
    assert fulfilment["FulfilShipments"]["ItemsPath"] == "$.prepared.reservation.shipments"
    assert fulfilment["FulfilShipments"]["End"] is True
    refunds = asl("refunds")["States"]
    # PayRefund raises RefundRejected for a refund Stripe refused: its catch records the failure
    assert [c["Next"] for c in refunds["PayRefund"]["Catch"]] == ["RecordRefundFailure"]
    assert refunds["Owed?"]["Choices"][0]["Variable"] == "$.owed"
    assert refunds["OpenRefund"]["ResultPath"] == "$"
    assert "order_id.$" in refunds["OpenRefund"]["ResultSelector"]

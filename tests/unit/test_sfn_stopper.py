"""Stopping an execution the order recorded: one recorded just before it was to start, and never
started (its step died between), is not running, not an error (a cancel would answer 500 after the
nodes were told); an Express one cannot be stopped and ends by itself."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from shared.adapters.sfn_workflow import StepFunctionsStopper

ARN = "arn:aws:states:us-east-1:210987654321:execution:waybill-fulfilment:ord_1-S1"


def _client() -> tuple[object, Stubber]:
    client = boto3.client("stepfunctions", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return client, Stubber(client)


def test_a_recorded_execution_that_never_started_is_not_running() -> None:
    client, stub = _client()
    stub.add_client_error("describe_execution", "ExecutionDoesNotExist", expected_params={"executionArn": ARN})
    with stub:
        assert StepFunctionsStopper(client).stop(ARN, "order cancelled") is False  # type: ignore[arg-type]


def test_a_running_execution_is_stopped_with_its_cause() -> None:
    client, stub = _client()
    started = {"executionArn": ARN, "stateMachineArn": "arn:x", "status": "RUNNING", "startDate": "2026-12-02"}
    stub.add_response("describe_execution", started, {"executionArn": ARN})
    stub.add_response(
        "stop_execution",
        {"stopDate": "2026-12-02"},
        {"executionArn": ARN, "error": "OrderFailed", "cause": "order failed: CarrierUnavailable"},
    )
    with stub:
        assert StepFunctionsStopper(client, "OrderFailed").stop(ARN, "order failed: CarrierUnavailable") is True  # type: ignore[arg-type]
    stub.assert_no_pending_responses()


def test_an_express_execution_is_not_asked_for() -> None:
    client, stub = _client()
    with stub:  # any call would fail: none is stubbed
        assert StepFunctionsStopper(client).stop(ARN.replace(":execution:", ":express:"), "x") is False  # type: ignore[arg-type]

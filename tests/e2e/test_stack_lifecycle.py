"""The stack itself: clean stop, startup report, and a Stripe outage handled by the state machine."""

import json
import os
import uuid

import boto3
import pytest

from tests.e2e.conftest import start_stack, stop_stack
from tests.unit.builders import capture_body

pytestmark = pytest.mark.e2e


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sigterm_stops_everything_and_a_stripe_outage_is_retried_not_held(tmp_path):
    stack = start_stack(tmp_path / "state")
    try:
        assert stack.info["startup_s"] > 0
        assert set(stack.info["keys"]) == {"admin", "channels", "warehouse", "ops", "finance", "carrier"}
        stripe_pid = stack.info["processes"]["localstripe"]
        assert alive(stripe_pid)

        # Stripe goes away: the check must be retried by the state machine, then end in EXCEPTION,
        # never ON_HOLD (an outage says nothing about the payment).
        os.kill(stripe_pid, 9)
        sent = capture_body(external_id=f"OUT-{uuid.uuid4().hex[:6]}", payment={"stripe_payment_intent": "pi_outage"})
        order_id = stack.call("POST", "/v1/orders", json=sent).json()["order_id"]
        order = stack.wait_for(order_id, lambda o: o["status"] != "RECEIVED", timeout_s=90)
        assert order["status"] == "EXCEPTION"
        assert order["exception_cause"].startswith("PaymentProviderUnavailable")
        assert order["payment"]["check"] == "pending"

        sfn = boto3.client("stepfunctions", endpoint_url=stack.info["moto"], region_name=stack.info["region"])
        events = sfn.get_execution_history(executionArn=order["executions"][0]["arn"], maxResults=1000)["events"]
        scheduled = [
            json.loads(e["taskScheduledEventDetails"]["parameters"]) for e in events if e["type"] == "TaskScheduled"
        ]
        attempts = [p for p in scheduled if p["FunctionName"].endswith("check_payment")]
        assert len(attempts) == 5  # the first try and four retries with backoff
    finally:
        code = stop_stack(stack)
    assert code == 0
    assert not (tmp_path / "state" / "dev.json").exists()
    assert not alive(stripe_pid)

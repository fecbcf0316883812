"""The stack itself: clean stop, startup report, and a Stripe outage handled by the state machine."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from devstack.stack import free_port
from tests.e2e.conftest import ROOT, start_stack, stop_stack
from tests.unit.builders import capture_body

# one worker, in this order: the module's stack is shared by the next two tests, the second stops it
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("lifecycle")]


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _waybill(state_dir, *args, timeout=120):
    env = {**os.environ, "WAYBILL_STATE_DIR": str(state_dir)}
    return subprocess.run(
        [sys.executable, "-m", "devstack.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
    )


def _state(state_dir):
    return (state_dir / "dev.json").read_text(), (state_dir / "functions.log").stat().st_size


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """One stack for the two tests below: the first leaves it serving, the second stops it."""
    state = tmp_path_factory.mktemp("lifecycle") / "state"
    stack = start_stack(state)
    yield stack
    if stack.proc.poll() is None:
        stop_stack(stack)


def test_a_stack_that_cannot_start_says_why_and_leaves_the_running_one_alone(running, tmp_path):
    stack, state = running, running.state_dir
    port = stack.api.rsplit(":", 1)[1]
    sent = capture_body(external_id=f"LOG-{uuid.uuid4().hex[:6]}", payment={"stripe_payment_intent": "pi_x"})
    assert stack.call("POST", "/v1/orders", json=sent).status_code == 202  # logged in functions.log
    deadline = time.monotonic() + 30
    while _state(state)[1] == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    before = _state(state)
    assert before[1] > 0

    # Its port, from another state directory: the port and WAYBILL_PORT are named.
    busy = _waybill(tmp_path / "other", "dev", "--port", port)
    assert busy.returncode == 1
    assert f"port {port} is already in use" in busy.stderr
    assert "WAYBILL_PORT=" in busy.stderr
    assert "Traceback" not in busy.stderr

    # Its state directory, on a free port: refused before anything is touched.
    twin = _waybill(state, "dev", "--port", str(free_port()))
    assert twin.returncode == 1
    assert f"already running from {state}" in twin.stderr
    assert f"pid {stack.proc.pid}" in twin.stderr
    assert "Traceback" not in twin.stderr

    after = _state(state)
    assert after[0] == before[0]  # dev.json untouched
    assert after[1] >= before[1]  # functions.log not emptied
    assert stack.call("GET", "/v1/orders/ord_nope").status_code == 404  # still serving
    listed = _waybill(state, "finance", "refunds")
    assert listed.returncode == 0, listed.stderr


def test_sigterm_stops_everything_and_a_stripe_outage_is_retried_not_held(running):
    stack = running
    try:
        assert stack.info["startup_s"] > 0
        assert set(stack.info["keys"]) == {"admin", "channels", "warehouse", "ops", "finance", "carrier"}
        stripe_pid, moto_pid = stack.info["processes"]["localstripe"], stack.info["processes"]["moto"]
        assert alive(stripe_pid)
        assert alive(moto_pid)

        # Stripe goes away: the check must be retried by the state machine, then end in EXCEPTION,
        # never ON_HOLD (an outage says nothing about the payment).
        os.kill(stripe_pid, 9)
        sent = capture_body(external_id=f"OUT-{uuid.uuid4().hex[:6]}", payment={"stripe_payment_intent": "pi_outage"})
        order_id = stack.call("POST", "/v1/orders", json=sent).json()["order_id"]
        order = stack.wait_for(order_id, lambda o: o["status"] != "RECEIVED", timeout_s=90)
        assert order["status"] == "EXCEPTION"
        assert order["exception_cause"].startswith("PaymentProviderUnavailable")
        assert order["payment"]["check"] == "pending"

        # the run's preparation (Express): its steps as ops reads them, from its log group
        detail = stack.call("GET", f"/v1/orders/{order_id}/executions/{order_id}", "ops").json()
        assert detail["execution"]["state_machine"] == "preparation"
        check = next(s for s in detail["steps"] if s["name"] == "CheckPayment")
        assert (check["attempts"], check["outcome"]) == (5, "caught")  # the first try, four retries with backoff
        assert check["error"] == "PaymentProviderUnavailable"
    finally:
        code = stop_stack(stack)
    assert code == 0
    assert not (stack.state_dir / "dev.json").exists()
    assert not alive(stripe_pid)
    assert not alive(moto_pid)


def test_a_stale_dev_json_after_sigkill_gets_one_line_not_a_traceback(tmp_path):
    state = tmp_path / "state"
    stack = start_stack(state)
    stack.proc.kill()
    stack.proc.wait(timeout=30)
    os.kill(stack.info["processes"]["localstripe"], signal.SIGKILL)
    assert (state / "dev.json").exists()  # nobody cleaned up
    deadline = time.monotonic() + 10
    while alive(stack.info["processes"]["moto"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(stack.info["processes"]["moto"])  # it ends with the stack, however the stack ends
    leftover = state / "documents" / "labels" / "from-the-killed-run.pdf"
    leftover.parent.mkdir(parents=True, exist_ok=True)
    leftover.write_bytes(b"%PDF-")

    for args in (("finance", "refunds"), ("keys", "create", "--kind", "channel", "--name", "b2b"), ("reorders",)):
        answer = _waybill(state, *args)
        assert answer.returncode != 0
        assert "Traceback" not in answer.stderr
        assert len(answer.stderr.strip().splitlines()) == 1, answer.stderr
        assert "is not running" in answer.stderr
        assert "make dev" in answer.stderr

    # The next stack starts over it: a killed stack's lock went with its process.
    env = {**os.environ, "WAYBILL_STATE_DIR": str(state)}
    cmd = [sys.executable, "-m", "devstack.cli", "dev", "--port", str(free_port())]
    again = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while json.loads((state / "dev.json").read_text()).get("pid") != again.pid:
            assert again.poll() is None, "the next stack exited"
            assert time.monotonic() < deadline, "the next stack did not start"
            time.sleep(0.2)
        assert _waybill(state, "finance", "refunds").returncode == 0
        assert not leftover.exists()  # documents of an earlier run do not pile up
    finally:
        again.send_signal(signal.SIGTERM)
        assert again.wait(timeout=30) == 0

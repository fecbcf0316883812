"""End-to-end tests talk HTTP to a real `waybill dev` process, as a channel would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack.stack import free_port

ROOT = Path(__file__).resolve().parents[2]


class RunningStack:
    def __init__(self, info: dict[str, Any], proc: subprocess.Popen[bytes], state_dir: Path) -> None:
        self.info = info
        self.proc = proc
        self.state_dir = state_dir
        self.api = info["api"]

    def key(self, who: str) -> str:
        keys = self.info["keys"]
        return str(keys["channels"][who] if who in keys["channels"] else keys[who])

    def call(self, method: str, path: str, who: str | None = "web", **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if who is not None:
            headers["Authorization"] = f"Bearer {self.key(who)}"
        return requests.request(method, self.api + path, headers=headers, timeout=60, **kwargs)

    def wait_for(self, order_id: str, done: Any, who: str = "web", timeout_s: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            order: dict[str, Any] = self.call("GET", f"/v1/orders/{order_id}", who).json()
            if done(order):
                return order
            if time.monotonic() > deadline:
                raise AssertionError(f"order never reached the expected state: {json.dumps(order)[:2000]}")
            time.sleep(0.25)


def start_stack(state_dir: Path, extra_env: dict[str, str] | None = None) -> RunningStack:
    port = free_port()
    env = {
        **os.environ,
        "WAYBILL_STATE_DIR": str(state_dir),
        "WAYBILL_DEV_VISIBILITY_TIMEOUT_S": "1",
        # a silent warehouse fails its order after 8 s instead of 6 hours
        "WAYBILL_DEV_FULFILMENT_HEARTBEAT_S": "8",
        "WAYBILL_DEV_FULFILMENT_TIMEOUT_S": "90",
        "WAYBILL_DEV_DELIVERY_TIMEOUT_S": "120",
        # a pickup order the customer never collects is an exception after 45 s instead of 7 days
        # (long enough for a loaded machine's simulated customer to collect the others)
        "WAYBILL_DEV_PICKUP_TIMEOUT_S": "45",
        **(extra_env or {}),
    }
    log = (state_dir.parent / f"{state_dir.name}-dev.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "devstack.cli", "dev", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    dev_json = state_dir / "dev.json"
    deadline = time.monotonic() + 180  # a loaded machine starts a stack in a minute or more
    while not dev_json.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"waybill dev did not start; see {log.name}")
        time.sleep(0.1)
    return RunningStack(json.loads(dev_json.read_text()), proc, state_dir)


def stop_stack(stack: RunningStack, timeout_s: float = 30) -> int:
    stack.proc.send_signal(signal.SIGTERM)
    return stack.proc.wait(timeout=timeout_s)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("e2e") / "state")
    yield running
    stop_stack(running)


@pytest.fixture(scope="session")
def quiet_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A stack whose warehouses never answer: released orders keep their reservations, for tests
    of reservation and routing that must look at stock before it ships."""
    quiet = {
        "WAYBILL_SIMULATORS": "off",
        "WAYBILL_DEV_FULFILMENT_HEARTBEAT_S": "3600",
        "WAYBILL_DEV_FULFILMENT_TIMEOUT_S": "7200",
    }
    running = start_stack(tmp_path_factory.mktemp("e2e-quiet") / "state", quiet)
    yield running
    stop_stack(running)


def _payer(stack: RunningStack) -> Any:
    import stripe

    client = stripe.StripeClient("sk_test_e2e", base_addresses={"api": stack.info["localstripe"]})

    def create(amount: int, currency: str = "usd", capture: bool = True) -> str:
        pi = client.v1.payment_intents.create(
            params={
                "amount": amount,
                "currency": currency,
                "payment_method": "pm_card_visa",
                "confirm": True,
                "capture_method": "automatic" if capture else "manual",
            }
        )
        return str(pi.id)

    return create


@pytest.fixture
def pay(stack: RunningStack) -> Any:
    return _payer(stack)


@pytest.fixture
def quiet_pay(quiet_stack: RunningStack) -> Any:
    return _payer(quiet_stack)


STOCKED_NODE = "e2e-dc"
STOCKED_SKUS = ("TSHIRT-M", "MUG")


@pytest.fixture(scope="session")
def stocked(stack: RunningStack) -> str:
    """A warehouse holding plenty of the builders' SKUs, so orders from tests reserve."""
    node = {"kind": "warehouse", "address": {"lat": 30.27, "lon": -97.74}, "handling_cost": 100}
    assert stack.call("PUT", f"/v1/nodes/{STOCKED_NODE}", "admin", json=node).status_code in (200, 201)
    receipt = {
        "reference": "e2e-initial-stock",
        "node_id": STOCKED_NODE,
        "type": "receipt",
        "lines": [{"sku": sku, "quantity": 100_000} for sku in STOCKED_SKUS],
    }
    answer = stack.call("POST", "/v1/inventory/adjustments", "admin", json=receipt)
    assert answer.status_code == 200, answer.text
    return STOCKED_NODE

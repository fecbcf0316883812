"""The conservation soak in its short version: tens of orders at 10% faults, fixed seed (`make soak`
runs 500; 20 here). Every order settles, the money and the stock balance, nothing is done twice."""

from pathlib import Path

import pytest

from tests.conservation import failures, injected, render, soak, soak_environment
from tests.e2e.conftest import start_stack, stop_stack

pytestmark = pytest.mark.e2e


def test_under_faults_every_order_settles_and_the_money_and_stock_balance(tmp_path: Path) -> None:
    stack = start_stack(tmp_path / "state", soak_environment(0.1, seed=7))
    try:
        table, seconds = soak(stack, orders=20, seed=7, rate_per_s=3.0, settle_s=240)
    finally:
        stop_stack(stack)  # the stack writes what it injected when it stops
    faults = injected(stack)
    report = render(table, seconds, faults)
    print(report)
    assert failures(table, faults) == 0, report
    # the faults really happened: otherwise this would prove nothing
    assert faults.get("dynamodb", 0) > 0, faults
    assert faults.get("stripe refused (outage)", 0) > 0, faults

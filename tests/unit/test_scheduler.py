"""The embedded stack's EventBridge stand-in (issue 11, case 19): when rules fire, and that a sped-up
clock fires every scheduled function of the topology at its cadence."""

import time
from datetime import UTC, datetime

import pytest

from devstack import plan
from devstack.scheduler import Scheduler, next_fire

AT = datetime(2026, 12, 1, 9, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "fires"),
    [
        ("rate(1 hour)", datetime(2026, 12, 1, 10, 15, tzinfo=UTC)),
        ("rate(5 minutes)", datetime(2026, 12, 1, 9, 20, tzinfo=UTC)),
        ("rate(1 day)", datetime(2026, 12, 2, 9, 15, tzinfo=UTC)),
        ("cron(30 2 * * ? *)", datetime(2026, 12, 2, 2, 30, tzinfo=UTC)),
        ("cron(0/15 * ? * MON-FRI *)", datetime(2026, 12, 1, 9, 30, tzinfo=UTC)),
    ],
)
def test_rules_fire_when_eventbridge_would(expression, fires):
    assert next_fire(expression, AT) == fires


@pytest.mark.parametrize("expression", ["every hour", "cron(0 12 * * ? 2027)", "rate(1 fortnight)"])
def test_expressions_it_cannot_keep_are_refused(expression):
    with pytest.raises(ValueError, match=r"expression|emulated"):
        next_fire(expression, AT)


def test_every_scheduled_function_of_the_topology_runs_at_its_cadence_sped_up():
    schedules = plan.build().schedules
    assert {s.function for s in schedules} >= {"sweep_refunds", "reconcile"}
    calls = []
    scheduler = Scheduler(
        schedules, lambda fn, event: calls.append((fn, event)), lambda s: f"arn:aws:events:r:1:rule/{s.name}", 36_000
    )
    scheduler.start()
    try:
        deadline = time.monotonic() + 20
        while {fn for fn, _ in calls} != {s.function for s in schedules}:
            assert time.monotonic() < deadline, calls
            time.sleep(0.05)
    finally:
        scheduler.stop()
    # hourly at x36000 is every 0.1 s, daily every 2.4 s: the sweep ran many times per reconciliation
    assert scheduler.fired["refund-sweep"] > scheduler.fired["daily-reconciliation"] >= 1
    _, event = next(c for c in calls if c[0] == "sweep_refunds")
    assert (event["source"], event["detail-type"]) == ("aws.events", "Scheduled Event")
    assert event["resources"] == ["arn:aws:events:r:1:rule/refund-sweep"]

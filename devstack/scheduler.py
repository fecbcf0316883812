"""EventBridge schedule rules, emulated: moto stores the rules but never fires them, so the embedded
stack runs every scheduled function of the topology at its rule's cadence, with the event
EventBridge sends. `speedup` compresses time for tests and demos: at 3600 an hourly rule fires
every second and a daily one every 24 s (cron rules fire when the sped-up clock passes their time)."""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from croniter import croniter

from devstack.plan import Schedule

log = logging.getLogger("devstack.scheduler")
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_S = {"minute": 60, "hour": 3600, "day": 86400}


def next_fire(expression: str, after: datetime) -> datetime:
    """When a rule with this schedule expression fires next after `after` (UTC)."""
    rate = _RATE.match(expression)
    if rate:
        return after + timedelta(seconds=int(rate.group(1)) * _UNIT_S[rate.group(2).rstrip("s")])
    if expression.startswith("cron(") and expression.endswith(")"):
        fields = expression[5:-1].split()
        if len(fields) != 6 or fields[5] not in ("*", "?"):
            raise ValueError(f"only EventBridge cron with any year is emulated: {expression}")
        # EventBridge's minutes hours day-of-month month day-of-week ('?' = any), without the year
        standard = " ".join("*" if f == "?" else f for f in fields[:5])
        fired: datetime = croniter(standard, after).get_next(datetime)
        return fired
    raise ValueError(f"not a schedule expression: {expression}")


def scheduled_event(rule_arn: str, at: datetime) -> dict[str, Any]:
    """The event EventBridge hands a function its rule targets."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": rule_arn.split(":")[3],
        "resources": [rule_arn],
        "detail": {},
    }


class Scheduler:
    def __init__(
        self,
        schedules: tuple[Schedule, ...],
        invoke: Callable[[str, dict[str, Any]], Any],
        rule_arn: Callable[[Schedule], str],
        speedup: float = 1.0,
    ) -> None:
        if speedup <= 0:
            raise ValueError("speedup must be > 0")
        self._schedules = schedules
        self._invoke = invoke
        self._rule_arn = rule_arn
        self._speedup = speedup
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)
        self._began_real = time.monotonic()
        self._began = datetime.now(UTC)
        self.fired: dict[str, int] = {s.name: 0 for s in schedules}

    def now(self) -> datetime:
        """The scheduler's clock: real time, sped up from the moment it started."""
        return self._began + timedelta(seconds=(time.monotonic() - self._began_real) * self._speedup)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        due = {s.name: next_fire(s.expression, self._began) for s in self._schedules}
        while not self._stop.is_set():
            for schedule in self._schedules:
                at = self.now()
                if at < due[schedule.name]:
                    continue
                # like EventBridge, a rule fires once per due time, however late the run is
                due[schedule.name] = next_fire(schedule.expression, max(at, due[schedule.name]))
                self.fire(schedule, at)
            soonest = min(due.values(), default=self.now() + timedelta(hours=1))
            wait_s = (soonest - self.now()).total_seconds() / self._speedup
            self._stop.wait(min(max(wait_s, 0.05), 1.0))

    def fire(self, schedule: Schedule, at: datetime) -> None:
        self.fired[schedule.name] += 1
        try:
            self._invoke(schedule.function, scheduled_event(self._rule_arn(schedule), at))
        except Exception:  # a failed run is logged, as EventBridge's own retries would be; the next one comes
            log.exception("scheduled %s (%s) failed", schedule.name, schedule.function)

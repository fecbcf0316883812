"""A stack stops without waiting out its queue pollers' long polls, but never in the middle of a batch."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from devstack import plan
from devstack.pollers import WAIT_S, QueuePoller
from shared import topology as t

REGION = "us-east-1"


class SlowFunction:
    """Stands in for the Lambda runtime: takes a while over each batch and says when it is done."""

    def __init__(self, takes_s: float) -> None:
        self.takes_s = takes_s
        self.started = threading.Event()
        self.finished: list[float] = []

    def invoke(self, name: str, event: dict[str, Any]) -> dict[str, Any]:
        self.started.set()
        time.sleep(self.takes_s)
        self.finished.append(time.monotonic())
        return {}


def _poller(aws: Any, moto_endpoint: str, function: SlowFunction) -> tuple[QueuePoller, str]:
    url = aws("sqs").create_queue(QueueName=f"stop-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    spec = plan.Poller(queue=t.EVENTS, function="fulfilment_events", batch_size=10)
    return QueuePoller(spec, url, function, moto_endpoint, REGION), url  # type: ignore[arg-type]


def test_an_idle_poller_stops_without_waiting_for_its_long_poll(aws: Any, moto_endpoint: str) -> None:
    poller, _ = _poller(aws, moto_endpoint, SlowFunction(0))
    poller.start()
    time.sleep(0.5)  # every thread is now inside a long poll of WAIT_S
    began = time.monotonic()
    poller.stop()
    assert time.monotonic() - began < WAIT_S / 2


def test_a_stop_waits_for_the_batch_being_processed(aws: Any, moto_endpoint: str) -> None:
    function = SlowFunction(1.5)
    poller, url = _poller(aws, moto_endpoint, function)
    poller.start()
    aws("sqs").send_message(QueueUrl=url, MessageBody="{}")
    assert function.started.wait(WAIT_S + 5)
    poller.stop()
    assert function.finished, "the stop returned while the batch was still being processed"

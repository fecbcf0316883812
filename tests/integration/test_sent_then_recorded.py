"""An email is sent once even when recording it on the order fails (shared.exactly_once.sent_then_recorded):
only the send is inside the idempotency record (Powertools, on the emulated DynamoDB table); the
record is retried after it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from shared import topology as t
from shared.exactly_once import Task, once_per, sent_then_recorded


class Outbox:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def mail(self, task: dict[str, Any]) -> str:
        self.sent.append(task["key"])
        return f"msg-{len(self.sent)}"


class FlakyOrder:
    """Recording on the order: the first write fails, as a throttled DynamoDB write does."""

    def __init__(self) -> None:
        self.recorded: list[str] = []
        self._failed = False

    def record(self, task: dict[str, Any], message_id: str) -> str:
        if not self._failed:
            self._failed = True
            raise RuntimeError("ProvisionedThroughputExceededException")
        self.recorded.append(message_id)
        return self.recorded[0]


@pytest.fixture
def once(resources: Any, aws: Any) -> Callable[[Task], Task]:
    decorator, _ = once_per(resources.tables[t.IDEMPOTENCY.name], "key", aws("dynamodb"))
    return decorator


def test_a_failed_record_is_retried_without_a_second_email(once: Callable[[Task], Task]) -> None:
    outbox, order = Outbox(), FlakyOrder()

    @once
    def email(task: dict[str, Any]) -> dict[str, Any]:
        return {"message_id": outbox.mail(task)}

    deliver = sent_then_recorded(email, record=order.record)
    task = {"key": f"ord-{uuid.uuid4().hex}#shipped"}
    with pytest.raises(RuntimeError):
        deliver(task)  # sent, then the write failed: the step is retried
    assert deliver(task) == "msg-1"
    assert outbox.sent == [task["key"]]
    assert order.recorded == ["msg-1"]


def test_the_record_inside_the_idempotency_record_would_send_twice(once: Callable[[Task], Task]) -> None:
    """Why sent_then_recorded keeps the write outside: a failure inside deletes the record."""
    outbox, order = Outbox(), FlakyOrder()

    @once
    def both(task: dict[str, Any]) -> dict[str, Any]:
        return {"message_id": order.record(task, outbox.mail(task))}

    task = {"key": f"ord-{uuid.uuid4().hex}#shipped"}
    with pytest.raises(RuntimeError):
        both(task=task)
    both(task=task)
    assert outbox.sent == [task["key"], task["key"]]


def test_two_functions_sharing_a_key_prefix_send_once_and_their_own_steps_stay_apart(
    resources: Any, aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The delivered email may be sent by the events function or the hand-over task: one record
    under their shared prefix. A step without the prefix stays keyed on its own function's name,
    even when the same function ran a prefixed step before it."""
    table, outbox = resources.tables[t.IDEMPOTENCY.name], Outbox()

    def email(task: dict[str, Any]) -> dict[str, Any]:
        return {"message_id": outbox.mail(task)}

    task = {"key": f"ord-{uuid.uuid4().hex}-S1#delivered"}
    sent = []
    for function in ("waybill-fulfilment_events", "waybill-hand_over"):
        monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", function)
        once, _ = once_per(table, "key", aws("dynamodb"))
        sent.append(once(email, key_prefix="delivered-email")(task=task)["message_id"])
        sent.append(once(email)(task=task)["message_id"])  # its own record, not the shared one
    assert sent == ["msg-1", "msg-2", "msg-1", "msg-3"]
    assert outbox.sent == [task["key"]] * 3

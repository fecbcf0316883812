"""Dead-lettered messages: what each queue's dead-letter queue holds, and moving them back.

Samples are peeked (received with no visibility timeout, so they stay where they are) and shown
with personal data masked. The failure reason is the message's `failure_reason` attribute where
whoever dead-lettered it set one, else what SQS knows: how many times it was received. A redrive
moves at most `limit` messages back to their source queue; every consumer is idempotent, so a
message moved twice (a redrive cut short between send and delete) is harmless. The exception queue
lists each dead-letter queue holding messages as one entry (`dead_letter`, action `redrive`).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Protocol

from shared.domain.errors import DomainError
from shared.domain.ops import QueueEntry, dead_letter_entry
from shared.logging import mask
from shared.records import record

SAMPLES = 5
MAX_REDRIVE = 1000


class UnknownQueue(DomainError):
    code = "not_found"
    http_status = 404

    def __init__(self, queue: str, known: list[str]) -> None:
        super().__init__(f"no queue {queue!r}; the queues are: {', '.join(known)}")


@record
class DeadLetter:
    message_id: str
    body: str
    sent_at: datetime  # when it was first sent to its source queue
    receive_count: int
    failure_reason: str | None  # as the consumer recorded it, if it did


@record
class DeadLetterQueueState:
    queue: str
    count: int  # approximate, as SQS counts (visible and in flight)
    samples: list[DeadLetter]


@record
class Sample:
    message_id: str
    body: Any  # the message's JSON, masked
    sent_at: datetime
    age_s: int
    receive_count: int
    failure_reason: str


@record
class QueueReport:
    queue: str
    count: int
    oldest_age_s: int | None  # of the sampled messages; None when the queue is empty
    samples: list[Sample]


@record
class Redrive:
    queue: str
    moved: int
    remaining: int  # approximate, after the move


class DeadLetterStates(Protocol):
    """What the dead-letter queues hold: read only."""

    def queues(self) -> list[str]:
        """The source queues (by topology name) that have a dead-letter queue."""

    def state(self, queue: str, samples: int) -> DeadLetterQueueState: ...


class DeadLetterQueues(DeadLetterStates, Protocol):
    def redrive(self, queue: str, limit: int) -> int:
        """Moves up to `limit` messages from the queue's DLQ back to the queue; returns how many."""


def _reason(letter: DeadLetter) -> str:
    if letter.failure_reason:
        return str(mask(letter.failure_reason))
    return (
        f"its consumer failed it on every receive ({letter.receive_count} so far, views like this one included); "
        f"the consumer's log names message {letter.message_id} with each failure"
    )


def _body(text: str) -> Any:
    try:
        return mask(json.loads(text))
    except ValueError:
        return mask(text)


def dead_letter_report(now: datetime, *, dead_letters: DeadLetterStates) -> list[QueueReport]:
    reports = []
    for queue in dead_letters.queues():
        state = dead_letters.state(queue, SAMPLES)
        samples = [
            Sample(
                message_id=s.message_id,
                body=_body(s.body),
                sent_at=s.sent_at,
                age_s=max(int((now - s.sent_at).total_seconds()), 0),
                receive_count=s.receive_count,
                failure_reason=_reason(s),
            )
            for s in sorted(state.samples, key=lambda s: s.sent_at)
        ]
        oldest = samples[0].age_s if samples else None
        reports.append(
            QueueReport(queue=queue, count=max(state.count, len(samples)), oldest_age_s=oldest, samples=samples)
        )
    return reports


def redrive(queue: str, limit: int, *, dead_letters: DeadLetterQueues) -> Redrive:
    known = dead_letters.queues()
    if queue not in known:
        raise UnknownQueue(queue, known)
    moved = dead_letters.redrive(queue, min(limit, MAX_REDRIVE))
    return Redrive(queue=queue, moved=moved, remaining=dead_letters.state(queue, 0).count)


def dead_letter_entries(now: datetime, *, dead_letters: DeadLetterStates) -> list[QueueEntry]:
    """The exception queue's entries for dead letters: one per dead-letter queue holding messages."""
    entries = []
    for queue in dead_letters.queues():
        state = dead_letters.state(queue, SAMPLES)
        if not state.count and not state.samples:
            continue
        # every message in flight (being redriven) and none sampled: waiting since now, as far as is known
        oldest = min((s.sent_at for s in state.samples), default=now)
        entries.append(dead_letter_entry(queue, max(state.count, len(state.samples)), oldest, now))
    return entries

"""Dead letters: per-queue counts, the oldest message's age, masked samples, redrive of at most N."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from shared.usecases.dead_letters import UnknownQueue, dead_letter_report, redrive
from tests.unit.fakes_ops_reads import FakeDeadLetters

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_each_queue_is_reported_with_its_count_oldest_age_and_masked_samples():
    dl = FakeDeadLetters(["intake", "events"])
    body = {"channel": "web", "external_id": "B-1", "customer": {"email": "ada@example.com", "name": "Ada"}}
    dl.dead_letter("intake", json.dumps(body), NOW - timedelta(minutes=5), reason="lines: Field required")
    dl.dead_letter("intake", "not json, from ada@example.com", NOW - timedelta(hours=2))
    intake, events = dead_letter_report(NOW, dead_letters=dl)
    assert (intake.queue, intake.count, intake.oldest_age_s) == ("intake", 2, 7200)
    assert (events.queue, events.count, events.oldest_age_s, events.samples) == ("events", 0, None, [])
    oldest, newest = intake.samples
    assert oldest.body == "not json, from *****"
    assert "receive" in oldest.failure_reason
    assert oldest.message_id in oldest.failure_reason
    assert newest.body == {"channel": "web", "external_id": "B-1", "customer": "*****"}
    assert newest.failure_reason == "lines: Field required"


def test_a_redrive_moves_at_most_n_and_reports_what_is_left():
    dl = FakeDeadLetters(["intake"])
    for n in range(7):
        dl.dead_letter("intake", json.dumps({"n": n}), NOW)
    result = redrive("intake", 5, dead_letters=dl)
    assert (result.moved, result.remaining) == (5, 2)
    assert dl.source["intake"] == [json.dumps({"n": n}) for n in range(5)]
    again = redrive("intake", 5, dead_letters=dl)
    assert (again.moved, again.remaining) == (2, 0)


def test_an_unknown_queue_is_not_found_and_names_the_queues():
    with pytest.raises(UnknownQueue, match="intake"):
        redrive("nope", 5, dead_letters=FakeDeadLetters(["intake"]))

"""A message a consumer gives up on its last receive goes to the dead-letter queue with its reason."""

from __future__ import annotations

from typing import Any

import pytest
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from shared.queue_messages import Undeliverable, dead_letter_with_reason


class Sink:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any], str]] = []

    def dead_letter(self, body: str, attributes: dict[str, Any], reason: str) -> None:
        self.sent.append((body, attributes, reason))


def _record(receives: int) -> SQSRecord:
    return SQSRecord(
        {
            "messageId": "m-1",
            "body": '{"type": "teleported"}',
            "attributes": {"ApproximateReceiveCount": str(receives)},
            "messageAttributes": {"node_id": {"stringValue": "dc-east", "dataType": "String"}},
        }
    )


def _refuse(record: SQSRecord) -> str:
    raise Undeliverable("type: no such event")


def test_before_the_last_receive_it_is_left_to_sqs_to_retry():
    sink = Sink()
    handler = dead_letter_with_reason(_refuse, sink, 4, Logger(service="test"))
    with pytest.raises(Undeliverable):
        handler(_record(3))
    assert sink.sent == []


def test_on_the_last_receive_it_is_dead_lettered_with_its_reason_and_attributes():
    sink = Sink()
    handler = dead_letter_with_reason(_refuse, sink, 4, Logger(service="test"))
    assert handler(_record(4)) == "dead_lettered"
    assert sink.sent == [
        ('{"type": "teleported"}', {"node_id": {"DataType": "String", "StringValue": "dc-east"}}, "type: no such event")
    ]


def test_other_failures_are_left_to_sqs():
    def crash(record: SQSRecord) -> str:
        raise RuntimeError("DynamoDB is down")

    sink = Sink()
    with pytest.raises(RuntimeError):
        dead_letter_with_reason(crash, sink, 4, Logger(service="test"))(_record(9))
    assert sink.sent == []

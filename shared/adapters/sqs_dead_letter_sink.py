"""DeadLetterSink on SQS: a consumer puts a message it gives up on its queue's dead-letter queue, with
the reason in the `failure_reason` attribute (read back by shared/adapters/sqs_dead_letters.py).
Its own module: every queue consumer has one, and none needs the dead-letter views."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

REASON_ATTRIBUTE = "failure_reason"


class SqsDeadLetterSink:
    """DeadLetterSink on SQS: one queue's dead-letter queue."""

    def __init__(self, client: SQSClient, dlq_url: str) -> None:
        self._sqs = client
        self._url = dlq_url

    def dead_letter(self, body: str, attributes: dict[str, Any], reason: str) -> None:
        why = {"DataType": "String", "StringValue": reason[:1000] or "refused"}
        sent: dict[str, Any] = {"QueueUrl": self._url, "MessageBody": body}
        sent["MessageAttributes"] = {**attributes, REASON_ATTRIBUTE: why}
        self._sqs.send_message(**sent)

"""DeadLetterQueues on SQS: each topology queue's dead-letter queue, peeked and redriven by hand.

SQS's own redrive (StartMessageMoveTask) moves everything and cannot stop at N, so a redrive here
receives, sends to the source queue, then deletes, ten at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from shared.adapters.sqs_dead_letter_sink import REASON_ATTRIBUTE
from shared.usecases.dead_letters import DeadLetter, DeadLetterQueueState

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# Time a message being redriven stays hidden in the dead-letter queue (send and delete take ms).
_MOVING_S = 30


class SqsDeadLetters:
    def __init__(self, client: SQSClient, urls: Mapping[str, tuple[str, str]]) -> None:
        """`urls`: queue name -> (its URL, its dead-letter queue's URL)."""
        self._sqs = client
        self._urls = dict(urls)

    def queues(self) -> list[str]:
        return list(self._urls)

    def state(self, queue: str, samples: int) -> DeadLetterQueueState:
        dlq = self._urls[queue][1]
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        count = int(attributes.get("ApproximateNumberOfMessages", 0)) + int(
            attributes.get("ApproximateNumberOfMessagesNotVisible", 0)
        )
        letters: list[DeadLetter] = []
        if samples and count:
            # a zero visibility timeout: peeked, the messages stay visible where they are
            answer = self._sqs.receive_message(
                QueueUrl=dlq,
                MaxNumberOfMessages=min(samples, 10),
                VisibilityTimeout=0,
                MessageSystemAttributeNames=["SentTimestamp", "ApproximateReceiveCount"],
                MessageAttributeNames=[REASON_ATTRIBUTE],
            )
            letters = [_letter(m) for m in answer.get("Messages", [])]
        return DeadLetterQueueState(queue=queue, count=count, samples=letters)

    def redrive(self, queue: str, limit: int) -> int:
        source, dlq = self._urls[queue]
        moved = 0
        while moved < limit:
            answer = self._sqs.receive_message(
                QueueUrl=dlq,
                MaxNumberOfMessages=min(10, limit - moved),
                VisibilityTimeout=_MOVING_S,
                MessageAttributeNames=["All"],
            )
            messages = answer.get("Messages", [])
            if not messages:
                break
            for m in messages:
                attributes = {k: v for k, v in (m.get("MessageAttributes") or {}).items() if k != REASON_ATTRIBUTE}
                send: dict[str, Any] = {"QueueUrl": source, "MessageBody": m["Body"]}
                if attributes:
                    send["MessageAttributes"] = attributes
                self._sqs.send_message(**send)
                self._sqs.delete_message(QueueUrl=dlq, ReceiptHandle=m["ReceiptHandle"])
                moved += 1
        return moved


def _letter(message: Mapping[str, Any]) -> DeadLetter:
    system = message.get("Attributes") or {}
    reason = (message.get("MessageAttributes") or {}).get(REASON_ATTRIBUTE, {}).get("StringValue")
    return DeadLetter(
        message_id=str(message["MessageId"]),
        body=str(message["Body"]),
        sent_at=datetime.fromtimestamp(int(system.get("SentTimestamp", 0)) / 1000, UTC),
        receive_count=int(system.get("ApproximateReceiveCount", 0)),
        failure_reason=reason,
    )

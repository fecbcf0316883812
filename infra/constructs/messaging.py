"""SQS queues, one per topology Queue, each with its own dead-letter queue."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import metadata
from infra.naming import pascal
from shared.topology import Queue

# The longest SQS allows: time for a person to inspect and redrive a poison message.
_DLQ_RETENTION = Duration.days(14)


class Messaging(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, queues: tuple[Queue, ...]) -> None:
        super().__init__(scope, construct_id)
        self.queues: dict[str, sqs.Queue] = {}
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        for spec in queues:
            dlq = sqs.Queue(
                self,
                f"{pascal(spec.name)}Dlq",
                retention_period=_DLQ_RETENTION,
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
            )
            queue = sqs.Queue(
                self,
                pascal(spec.name),
                visibility_timeout=Duration.seconds(spec.visibility_timeout_s),
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=spec.max_receive_count),
            )
            metadata.tag(queue, metadata.QUEUE, spec.name)
            metadata.tag(dlq, metadata.DEAD_LETTER_QUEUE, spec.dlq_name)
            self.queues[spec.name] = queue
            self.dead_letter_queues[spec.name] = dlq

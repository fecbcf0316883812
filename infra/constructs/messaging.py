"""SQS queues, one per topology Queue, each with its own dead-letter queue; SNS topics, one per
topology Topic, encrypted and refusing anything but TLS."""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import metadata
from infra.naming import pascal
from shared.topology import Queue, Topic

# The longest SQS allows: time for a person to inspect and redrive a poison message.
_DLQ_RETENTION = Duration.days(14)


class Messaging(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, queues: tuple[Queue, ...], topics: tuple[Topic, ...] = ()
    ) -> None:
        super().__init__(scope, construct_id)
        self.topics: dict[str, sns.Topic] = {}
        # SNS delivers to subscribers' SSE-SQS queues and lets publishers with sns:Publish use this key
        sns_key = kms.Alias.from_alias_name(self, "SnsKey", "alias/aws/sns") if topics else None
        for topic_spec in topics:
            topic = sns.Topic(self, f"{pascal(topic_spec.name)}Topic", master_key=sns_key, enforce_ssl=True)
            metadata.tag(topic, metadata.TOPIC, topic_spec.name)
            CfnOutput(
                Stack.of(self),
                f"{pascal(topic_spec.name)}TopicArn",
                value=topic.topic_arn,
                description=f"Subscribe a queue with the filter policy {{{topic_spec.filter_attribute!r}: [...]}}",
            )
            self.topics[topic_spec.name] = topic
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

"""SQS event-source mappings, emulated: poll each triggered queue, invoke the function with an SQS
event, delete what succeeded and leave what the function reported in batchItemFailures (or the
whole batch when it raised) to be redelivered and, after maxReceiveCount, moved to the DLQ."""

from __future__ import annotations

import logging
import threading
from typing import Any

import boto3

from devstack.plan import Poller
from devstack.runtime import LambdaError, LambdaRuntime

log = logging.getLogger("devstack.pollers")
# Long polls, as Lambda's pollers make (they wait up to 20 s): moto answers one as soon as a message
# arrives, so a longer wait costs no latency; short waits kept every idle stack busy answering empty
# receives. A stop waits only for batches being processed, not for polls still waiting.
WAIT_S = 5


class QueuePoller:
    """Like Lambda's event-source mapping, several batches are processed at once (`concurrency`),
    so consumers meet the same overlapping deliveries they meet in AWS."""

    def __init__(
        self, poller: Poller, queue_url: str, runtime: LambdaRuntime, endpoint: str, region: str, concurrency: int = 3
    ):
        self._poller = poller
        self._url = queue_url
        self._runtime = runtime
        self._region = region
        self._sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=region)
        self._arn = self._sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self._stop = threading.Event()
        self._invoking = 0  # batches being processed now, which a stop waits for
        self._idle = threading.Condition()
        self._threads = [
            threading.Thread(target=self._run, name=f"poller-{poller.queue.name}-{i}", daemon=True)
            for i in range(concurrency)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stopping(self) -> None:
        """Asks every thread to stop after its current poll."""
        self._stop.set()

    def stop(self) -> None:
        """Returns once no batch is being processed; a thread still in its long poll ends with the
        process (its daemon thread) or when the poll returns, and then processes nothing."""
        self.stopping()
        with self._idle:
            self._idle.wait_for(lambda: self._invoking == 0, timeout=60)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once(wait_s=WAIT_S)
            except Exception:  # keep polling, as Lambda's pollers do, but say why (unless stopping)
                if self._stop.is_set():
                    return
                log.exception("poller for %s failed", self._poller.queue.name)
                self._stop.wait(1)

    def poll_once(self, wait_s: int = 0) -> int:
        """One receive-invoke-delete round; returns how many messages it received."""
        messages = self._sqs.receive_message(
            QueueUrl=self._url,
            MaxNumberOfMessages=min(self._poller.batch_size, 10),
            WaitTimeSeconds=wait_s,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        with self._idle:
            if self._stop.is_set():  # received after the stop: left for redelivery, as Lambda would
                return 0
            self._invoking += 1
        try:
            return self._process(messages)
        finally:
            with self._idle:
                self._invoking -= 1
                self._idle.notify_all()

    def _process(self, messages: list[Any]) -> int:
        event = {"Records": [self._record(m) for m in messages]}
        try:
            result = self._runtime.invoke(self._poller.function, event) or {}
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        except LambdaError as err:
            log.warning("%s failed a whole batch: %s", self._poller.function, err)
            failed = {m["MessageId"] for m in messages}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self._url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        return len(messages)

    def _record(self, message: Any) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self._arn,
            "awsRegion": self._region,
        }


class QueuePollers:
    """Every queue's poller, stopped together: all are asked first, so the stop waits for the
    batches in flight across all queues at once, not queue after queue."""

    def __init__(self, pollers: list[QueuePoller]) -> None:
        self._pollers = pollers

    def start(self) -> None:
        for poller in self._pollers:
            poller.start()

    def stop(self) -> None:
        for poller in self._pollers:
            poller.stopping()
        for poller in self._pollers:
            poller.stop()

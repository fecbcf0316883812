"""DynamoDB stream event-source mappings, emulated: read each streamed table's shard from the start,
invoke the function with a batch of records, and, like Lambda with ReportBatchItemFailures, go on
from the first record it reported failed (or the whole batch when it raised), a bounded number of
times before skipping the batch (AWS: retry attempts, then the record ages out)."""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Callable
from typing import Any

import boto3

from devstack.plan import StreamPoller
from devstack.runtime import LambdaError, LambdaRuntime

log = logging.getLogger("devstack.streams")
RETRY_ATTEMPTS = 10
IDLE_S = 0.25  # Lambda polls a shard about four times a second
# A quiet shard is read less often, up to once a second: each empty read takes the emulator's
# DynamoDB lock, which a busy stack's real calls wait for.
IDLE_MAX_S = 1.0


def _as_lambda_json(value: Any) -> Any:
    """Binary attributes as Lambda's JSON event carries them (base64 text), not boto3's bytes."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _as_lambda_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_lambda_json(v) for v in value]
    return value


class TableStreamPoller:
    def __init__(self, poller: StreamPoller, table_name: str, runtime: LambdaRuntime, endpoint: str, region: str):
        self._poller = poller
        self._runtime = runtime
        self._region = region
        ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name=region)
        self._streams = boto3.client("dynamodbstreams", endpoint_url=endpoint, region_name=region)
        self._arn = ddb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
        shard = self._streams.describe_stream(StreamArn=self._arn)["StreamDescription"]["Shards"][0]
        self._shard_id = shard["ShardId"]
        self._iterator = self._iterator_at("TRIM_HORIZON")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"stream-{poller.table.name}", daemon=True)
        # told of each batch as it is read, before the function runs (the simulators wait on orders)
        self.listeners: list[Callable[[list[Any]], None]] = []

    def _iterator_at(self, kind: str, sequence: str | None = None) -> str:
        args: dict[str, Any] = {"StreamArn": self._arn, "ShardId": self._shard_id, "ShardIteratorType": kind}
        if sequence is not None:
            args["SequenceNumber"] = sequence
        iterator: str = self._streams.get_shard_iterator(**args)["ShardIterator"]
        return iterator

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        idle_s = IDLE_S
        while not self._stop.is_set():
            try:
                if self.poll_once():
                    idle_s = IDLE_S
                else:
                    self._stop.wait(idle_s)
                    idle_s = min(idle_s * 2, IDLE_MAX_S)
            except Exception:  # keep polling, as Lambda's pollers do, but say why
                log.exception("stream poller for %s failed", self._poller.table.name)
                self._stop.wait(1)

    def poll_once(self) -> int:
        """One read-invoke round; returns how many records it read."""
        answer = self._streams.get_records(ShardIterator=self._iterator, Limit=self._poller.batch_size)
        records = answer.get("Records", [])
        if not records:
            self._iterator = answer["NextShardIterator"]
            return 0
        for listener in self.listeners:
            listener(records)
        event = {"Records": [self._record(r) for r in records]}
        for attempt in range(1, RETRY_ATTEMPTS + 1):
            failed_at = self._invoke(event)
            if failed_at is None:
                break
            log.warning("%s: records from %s failed (attempt %d)", self._poller.function, failed_at, attempt)
            self._stop.wait(min(0.1 * 2**attempt, 5))  # Lambda backs off between retries too
            # go on from the first failed record
            event = {"Records": [r for r in event["Records"] if int(r["dynamodb"]["SequenceNumber"]) >= failed_at]}
        else:
            log.error(
                "%s: skipping %d records after %d attempts", self._poller.function, len(event["Records"]), attempt
            )
        self._iterator = answer["NextShardIterator"]
        return len(records)

    def _record(self, record: Any) -> dict[str, Any]:
        """The record as Lambda delivers it: its creation time in epoch seconds, the stream's ARN."""
        images = dict(record["dynamodb"])
        created = images.get("ApproximateCreationDateTime")
        if created is not None and hasattr(created, "timestamp"):
            images["ApproximateCreationDateTime"] = int(created.timestamp())
        for image in ("NewImage", "OldImage", "Keys"):
            if image in images:
                images[image] = _as_lambda_json(images[image])
        return {**record, "dynamodb": images, "eventSourceARN": self._arn}

    def _invoke(self, event: dict[str, list[dict[str, Any]]]) -> int | None:
        """None when the batch succeeded, else the sequence number to retry from."""
        try:
            result = self._runtime.invoke(self._poller.function, event) or {}
        except LambdaError as err:
            log.warning("%s raised on a batch: %s", self._poller.function, err)
            return int(event["Records"][0]["dynamodb"]["SequenceNumber"])
        failed = [int(f["itemIdentifier"]) for f in result.get("batchItemFailures", [])]
        return min(failed) if failed else None

"""FactSink on Amazon Data Firehose: one JSON line per fact, in batches of at most 500 records.

Firehose delivers at least once and the stream may redeliver a record: duplicates are harmless,
since the reports keep one row per fact id (shared/analytics/scope.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from shared.domain.facts import Fact

if TYPE_CHECKING:
    from mypy_boto3_firehose import FirehoseClient

BATCH = 500
ATTEMPTS = 3


class FactsNotDelivered(Exception):
    pass


class FirehoseFacts:
    def __init__(self, client: FirehoseClient, stream_name: str) -> None:
        self._firehose = client
        self._stream = stream_name

    def put(self, facts: Sequence[Fact]) -> None:
        for start in range(0, len(facts), BATCH):
            pending = [(json.dumps(f.row()) + "\n").encode() for f in facts[start : start + BATCH]]
            for _ in range(ATTEMPTS):
                answer = self._firehose.put_record_batch(
                    DeliveryStreamName=self._stream, Records=[{"Data": data} for data in pending]
                )
                if not answer["FailedPutCount"]:
                    break
                # only the records Firehose refused are sent again
                pending = [d for d, r in zip(pending, answer["RequestResponses"], strict=True) if "ErrorCode" in r]
            else:
                raise FactsNotDelivered(f"{len(pending)} facts refused by {self._stream}")

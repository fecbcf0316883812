"""RestockNotifier on SQS: one message per adjustment, listing the skus whose stock went up."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


class SqsRestock:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._sqs = client
        self._url = queue_url

    def stock_arrived(self, skus: Iterable[str]) -> None:
        self._sqs.send_message(QueueUrl=self._url, MessageBody=json.dumps({"skus": sorted(set(skus))}))

"""FulfilmentRequests on SQS: one queue for every node's requests, tagged with the node id.

A warehouse system reads its requests (a consumer per integration can filter on the node_id
message attribute); answers come back on the events queue or through the API.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


class SqsFulfilmentRequests:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._sqs = client
        self._url = queue_url

    def send(self, node_id: str, request: dict[str, Any]) -> None:
        self._sqs.send_message(
            QueueUrl=self._url,
            MessageBody=json.dumps(request),
            MessageAttributes={"node_id": {"DataType": "String", "StringValue": node_id}},
        )

"""FulfilmentRequests on SNS: one topic for every node's messages, each tagged with its node id.

Each warehouse integration subscribes its own SQS queue to the topic with the filter policy
{"node_id": ["<its node>"]} and raw message delivery, so it receives its node's messages only, as
the JSON body that was published. Answers come back on the events queue or through the API.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient


class SnsFulfilmentRequests:
    def __init__(self, client: SNSClient, topic_arn: str, attribute: str = "node_id") -> None:
        self._sns = client
        self._arn = topic_arn
        self._attribute = attribute

    def send(self, node_id: str, request: dict[str, Any]) -> None:
        self._sns.publish(
            TopicArn=self._arn,
            Message=json.dumps(request),
            MessageAttributes={
                self._attribute: {"DataType": "String", "StringValue": node_id},
                # lets a subscriber also filter by what the message is (fulfilment_request, label_ready, ...)
                "type": {"DataType": "String", "StringValue": str(request.get("type", ""))},
            },
        )

"""Fulfilment messages on the provisioned topic reach only the node whose integration subscribed
with a filter policy on node_id, as the raw JSON that was published."""

from __future__ import annotations

import json
import uuid
from typing import Any

from shared import topology as t
from shared.adapters.sns_fulfilment import SnsFulfilmentRequests


def subscribed_queue(aws, topic_arn: str, node_id: str):
    sqs = aws("sqs")
    url = sqs.create_queue(QueueName=f"wms-{node_id}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    aws("sns").subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"FilterPolicy": json.dumps({"node_id": [node_id]}), "RawMessageDelivery": "true"},
    )
    return url


def received(aws, url: str) -> list[dict[str, Any]]:
    messages = aws("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def test_each_node_receives_only_its_own_messages(aws, resources):
    topic = resources.topic_arns[t.FULFILMENT_TOPIC.name]
    east, west = f"east-{uuid.uuid4().hex[:6]}", f"west-{uuid.uuid4().hex[:6]}"
    east_queue, west_queue = subscribed_queue(aws, topic, east), subscribed_queue(aws, topic, west)
    requests = SnsFulfilmentRequests(aws("sns"), topic)
    requests.send(east, {"type": "fulfilment_request", "shipment_id": "ord_1-S1", "node_id": east})
    requests.send(west, {"type": "label_ready", "shipment_id": "ord_2-S1", "node_id": west})
    requests.send(east, {"type": "label_ready", "shipment_id": "ord_1-S1", "node_id": east})
    got_east, got_west = received(aws, east_queue), received(aws, west_queue)
    assert sorted((m["type"], m["shipment_id"]) for m in got_east) == [
        ("fulfilment_request", "ord_1-S1"),
        ("label_ready", "ord_1-S1"),
    ]
    assert got_west == [{"type": "label_ready", "shipment_id": "ord_2-S1", "node_id": west}]

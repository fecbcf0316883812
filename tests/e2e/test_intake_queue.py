import json
import time
import uuid
from pathlib import Path

import boto3
import pytest

from tests.unit.builders import GRAND_TOTAL, capture_body

pytestmark = pytest.mark.e2e


def sqs(stack):
    return boto3.client("sqs", endpoint_url=stack.info["moto"], region_name=stack.info["region"])


def find(stack, channel, external_id):
    # b2b has no API key in the demo seed, so its order is found the way an operator's tool would.
    ddb = boto3.client("dynamodb", endpoint_url=stack.info["moto"], region_name=stack.info["region"])
    item = ddb.get_item(
        TableName=stack.info["resources"]["tables"]["orders"],
        Key={"pk": {"S": f"CAPTURE#{channel}#{external_id}"}, "sk": {"S": "CAPTURE"}},
        ConsistentRead=True,
    ).get("Item")
    return item["order_id"]["S"] if item else None


def wait(predicate, timeout_s=30):
    deadline = time.monotonic() + timeout_s
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.25)
    return value


def test_a_batch_message_is_captured_once_even_when_delivered_twice(stack, pay):
    external_id = f"B2B-{uuid.uuid4().hex[:8]}"
    message = json.dumps(
        {
            **capture_body(external_id=external_id, payment={"stripe_payment_intent": pay(GRAND_TOTAL)}),
            "channel": "b2b",
        }
    )
    queue = stack.info["resources"]["queues"]["intake"]
    sqs(stack).send_message(QueueUrl=queue, MessageBody=message)
    sqs(stack).send_message(QueueUrl=queue, MessageBody=message)
    order_id = wait(lambda: find(stack, "b2b", external_id))
    order = stack.wait_for(order_id, lambda o: o["confirmation_sent"], who="ops")
    assert order["channel"] == "b2b"
    time.sleep(1)
    attrs = sqs(stack).get_queue_attributes(
        QueueUrl=queue,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )
    assert attrs["Attributes"] == {
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
    }
    history = [h["event"] for h in order["history"]]
    assert history.count("captured") == 1
    assert history.count("confirmation_sent") == 1


def test_an_invalid_message_ends_in_the_dlq_and_good_ones_in_its_batch_are_kept(stack, pay):
    queue = stack.info["resources"]["queues"]["intake"]
    dlq = stack.info["resources"]["dead_letter_queues"]["intake"]
    poison = json.dumps({"channel": "b2b", "external_id": f"BAD-{uuid.uuid4().hex[:6]}", "lines": []})
    good_id = f"B2B-{uuid.uuid4().hex[:8]}"
    good = json.dumps(
        {
            **capture_body(external_id=good_id, payment={"stripe_payment_intent": pay(GRAND_TOTAL)}),
            "channel": "b2b",
        }
    )
    sqs(stack).send_message_batch(
        QueueUrl=queue, Entries=[{"Id": "p", "MessageBody": poison}, {"Id": "g", "MessageBody": good}]
    )
    assert wait(lambda: find(stack, "b2b", good_id))

    def dead_letters():
        got = sqs(stack).receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        return [m["Body"] for m in got.get("Messages", [])]

    assert wait(dead_letters, timeout_s=30) == [poison]
    log = Path(stack.info["function_log"]).read_text()
    assert "invalid intake message" in log

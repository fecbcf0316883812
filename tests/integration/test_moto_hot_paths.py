"""The embedded moto's lighter paths answer as before: a state machine's definition is parsed once
and each execution still evaluates components of its own; a condition expression is parsed once
and each write is still judged by its own values; the simulated carrier hears of labels from the
bucket's notifications without listing the bucket."""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.core.config import default_user_config
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser, ASLParserException

from devstack.simulators import LABELS_NOTIFICATION, CarrierSimulator, SimulatorSettings

REGION = "us-east-1"
ECHO = {
    "StartAt": "Pick",
    "States": {
        "Pick": {"Type": "Pass", "Parameters": {"n.$": "$.n", "tag": "seen"}, "Next": "Which"},
        "Which": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.n", "NumericGreaterThan": 4, "Next": "Big"}],
            "Default": "Small",
        },
        "Big": {"Type": "Pass", "Result": "big", "ResultPath": "$.size", "End": True},
        "Small": {"Type": "Pass", "Result": "small", "ResultPath": "$.size", "End": True},
    },
}


def test_a_definition_is_parsed_once_and_every_execution_gets_its_own_components(moto_endpoint):
    definition = json.dumps({**ECHO, "Comment": uuid.uuid4().hex})
    first, tree = AmazonStateLanguageParser.parse(definition)
    again, same_tree = AmazonStateLanguageParser.parse(definition)
    assert same_tree is tree  # the ANTLR parse, a sixth of a busy stack's CPU, happens once
    assert again is not first
    for _ in range(2):  # a definition that does not parse is refused each time
        with pytest.raises(ASLParserException):
            AmazonStateLanguageParser.parse('{"StartAt": "P", "States": {')


def test_concurrent_executions_of_one_definition_each_follow_their_own_input(moto_endpoint, monkeypatch):
    monkeypatch.setitem(default_user_config["stepfunctions"], "execute_state_machine", True)
    sfn = boto3.client("stepfunctions", endpoint_url=moto_endpoint, region_name=REGION)
    machine = sfn.create_state_machine(
        name=f"echo-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(ECHO),
        roleArn="arn:aws:iam::123456789012:role/waybill-test",
    )["stateMachineArn"]

    def run(n: int) -> dict[str, Any]:
        started = sfn.start_execution(stateMachineArn=machine, name=f"n{n}", input=json.dumps({"n": n}))
        arn = started["executionArn"]
        deadline = time.monotonic() + 30
        while (found := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert found["status"] == "SUCCEEDED"
        output: dict[str, Any] = json.loads(found["output"])
        return output

    with ThreadPoolExecutor(8) as pool:
        outputs = list(pool.map(run, range(10)))
    assert outputs == [{"n": n, "tag": "seen", "size": "big" if n > 4 else "small"} for n in range(10)]


def test_the_carrier_hears_of_each_new_label_from_the_bucket_without_listing_it(moto_endpoint, monkeypatch):
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name=REGION)
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint, region_name=REGION)
    bucket = f"documents-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    other_url = sqs.create_queue(QueueName=f"other-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    other = sqs.get_queue_attributes(QueueUrl=other_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [{"Id": "reports", "QueueArn": other, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    delivered: list[str] = []
    monkeypatch.setattr(CarrierSimulator, "_deliver", lambda _self, key: delivered.append(key))
    keys = {"carrier": "c", "ops": "o", "admin": "a"}
    carrier = CarrierSimulator(moto_endpoint, REGION, bucket, "http://127.0.0.1:9", keys, SimulatorSettings())

    def listed(**_kwargs: Any) -> Any:
        raise AssertionError("the carrier listed the bucket")

    monkeypatch.setattr(carrier._s3, "list_objects_v2", listed)
    carrier.start()
    try:
        s3.put_object(Bucket=bucket, Key="pick-lists/ord_1-S1.pdf", Body=b"%PDF")
        s3.put_object(Bucket=bucket, Key="labels/ord_1-S1.pdf", Body=b"%PDF")
        s3.put_object(Bucket=bucket, Key="labels/ord_1-S1.pdf", Body=b"%PDF")  # stored again: one parcel
        s3.put_object(Bucket=bucket, Key="labels/ord_2-S1.pdf", Body=b"%PDF")
        deadline = time.monotonic() + 30
        while len(delivered) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # a second delivery of the same label would have come by now
        assert sorted(delivered) == ["labels/ord_1-S1.pdf", "labels/ord_2-S1.pdf"]
        kept = s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]
        assert sorted(q["Id"] for q in kept) == sorted(["reports", LABELS_NOTIFICATION])  # the bucket's own kept
    finally:
        carrier.stop()


def test_a_condition_is_parsed_once_and_each_write_is_judged_by_its_own_values(moto_endpoint, monkeypatch):
    db = boto3.client("dynamodb", endpoint_url=moto_endpoint, region_name=REGION)
    table = f"conditions-{uuid.uuid4().hex[:8]}"
    db.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    lexed: list[str] = []
    lex = ConditionExpressionParser._lex_condition_expression

    def counted(self: ConditionExpressionParser) -> Any:
        lexed.append(str(self.condition_expression))
        return lex(self)

    monkeypatch.setattr(ConditionExpressionParser, "_lex_condition_expression", counted)
    # the shape of Powertools' idempotency condition: names, values, parentheses
    condition = "attribute_not_exists(pk) OR (#s = :open AND #v < :v)"

    def put(version: int, expected_open: str = "open") -> bool:
        try:
            db.put_item(
                TableName=table,
                Item={"pk": {"S": "k"}, "status": {"S": "open"}, "version": {"N": str(version)}},
                ConditionExpression=condition,
                ExpressionAttributeNames={"#s": "status", "#v": "version"},
                ExpressionAttributeValues={":open": {"S": expected_open}, ":v": {"N": str(version)}},
            )
        except db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    assert put(1)  # absent
    assert not put(1)  # 1 < 1 is false
    assert put(2)  # 1 < 2
    assert not put(3, expected_open="closed")  # the status does not match this request's value
    assert put(3)
    assert lexed == [condition]  # four other writes reused its syntax tree
    with pytest.raises(ClientError):  # a placeholder the request does not define is still refused
        db.put_item(
            TableName=table,
            Item={"pk": {"S": "k"}},
            ConditionExpression=condition,
            ExpressionAttributeNames={"#s": "status", "#v": "version"},
            ExpressionAttributeValues={":open": {"S": "open"}},
        )

"""A task token sent back while another execution is still starting gets AWS's answer, not a 500.

moto looks for the token in every running execution, and read the starting one's environment
before its thread had built it (AttributeError, a 500): the 1,000-order benchmark logged it for
heartbeats and task successes sent by the simulators while orders were being captured.
"""

import json
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.core.config import default_user_config
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


def test_a_token_sent_while_an_execution_is_starting_is_answered_as_aws_does(moto_endpoint, monkeypatch):
    # the embedded stack's Step Functions: the ASL is executed (devstack/moto_server.py route_lambda_through)
    monkeypatch.setitem(default_user_config["stepfunctions"], "execute_state_machine", True)
    # one attempt: botocore would retry a 500 and the test would only be slower
    sfn = boto3.client(
        "stepfunctions", endpoint_url=moto_endpoint, region_name="us-east-1", config=Config(retries={"max_attempts": 1})
    )
    machine = sfn.create_state_machine(
        name=f"starting-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(PASS),
        roleArn="arn:aws:iam::123456789012:role/waybill-test",
    )["stateMachineArn"]
    # its thread never runs: the execution stays where a starting one is, RUNNING with no environment
    with monkeypatch.context() as frozen:
        frozen.setattr(ExecutionWorker, "start", lambda _self: None)
        sfn.start_execution(stateMachineArn=machine, name="starting")
    sends = [
        lambda: sfn.send_task_success(taskToken="not-a-token", output="{}"),
        lambda: sfn.send_task_failure(taskToken="not-a-token", error="E"),
        lambda: sfn.send_task_heartbeat(taskToken="not-a-token"),
    ]
    for send in sends:
        with pytest.raises(ClientError) as raised:
            send()
        assert raised.value.response["Error"]["Code"] == "InvalidToken"

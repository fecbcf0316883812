import json
import uuid

from shared.adapters.dynamodb_keys import DynamoDBKeys
from shared.adapters.ses_mailer import SesMailer
from shared.adapters.sfn_workflow import StepFunctionsWorkflow
from shared.domain.principal import Principal
from shared.topology import Kind
from shared.usecases.keys import create_key, resolve_key


def test_starting_an_execution_twice_makes_one(aws, resources):
    sfn = aws("stepfunctions")
    arn = resources.state_machines["fulfilment"]
    workflow = StepFunctionsWorkflow(sfn, arn)
    name = f"ord_{uuid.uuid4().hex[:12]}"
    workflow.start(name, {"order_id": name})
    workflow.start(name, {"order_id": name})
    executions = [e for e in sfn.list_executions(stateMachineArn=arn)["executions"] if e["name"] == name]
    assert len(executions) == 1
    assert executions[0]["executionArn"] == workflow.execution_arn(name)
    described = sfn.describe_execution(executionArn=workflow.execution_arn(name))
    assert json.loads(described["input"]) == {"order_id": name}


def test_templated_mail_is_accepted_by_ses(aws, resources, moto_endpoint):
    from moto.ses.models import ses_backends

    from devstack.provision import ACCOUNT

    mailer = SesMailer(aws("ses"), "orders@waybill.test")
    backend = ses_backends[ACCOUNT]["us-east-1"]
    before = len(backend.sent_messages)
    message_id = mailer.send(resources.templates["order_confirmation"], "ada@example.com", {"order_ref": "X"})
    sent = backend.sent_messages[before:]
    assert [m.id for m in sent] == [message_id]
    assert sent[0].destinations["ToAddresses"] == ["ada@example.com"]


def test_keys_are_found_by_hash_and_revoked_by_principal(aws, resources):
    keys = DynamoDBKeys(aws("dynamodb"), resources.tables["api_keys"])
    name = f"shop-{uuid.uuid4().hex[:6]}"
    k1, principal = create_key(keys, Kind.CHANNEL, name)
    k2, _ = create_key(keys, Kind.CHANNEL, name)
    wh, _ = create_key(keys, Kind.WAREHOUSE, f"wh-{name}", ("dc-1", "dc-2"))
    assert resolve_key(keys, k1) == principal
    assert resolve_key(keys, wh) == Principal(f"warehouse:wh-{name}", Kind.WAREHOUSE, f"wh-{name}", ("dc-1", "dc-2"))
    assert keys.revoke(principal.principal_id) == 2
    assert resolve_key(keys, k1) is None
    assert resolve_key(keys, k2) is None
    assert resolve_key(keys, wh) is not None
    stored = aws("dynamodb").scan(TableName=resources.tables["api_keys"])["Items"]
    assert not any(k1 in json.dumps(item) for item in stored)

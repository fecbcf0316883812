import json
import uuid
from datetime import UTC, datetime

from shared.adapters.dynamodb_keys import DynamoDBKeys
from shared.adapters.ses_mailer import SesMailer
from shared.adapters.sfn_workflow import StepFunctionsWorkflow
from shared.domain.audit import Actor, Stamp
from shared.domain.principal import Principal
from shared.topology import Kind
from shared.usecases.keys import create_key, resolve_key, revoke_keys


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


def test_a_key_records_who_created_it_and_who_revoked_it(aws, resources):
    keys = DynamoDBKeys(aws("dynamodb"), resources.tables["api_keys"])
    name = f"shop-{uuid.uuid4().hex[:6]}"
    created = Stamp(Actor("admin", "arn:aws:iam::123456789012:user/ada"), datetime(2026, 11, 1, 9, 0, tzinfo=UTC))
    revoked = Stamp(Actor("admin", "arn:aws:iam::123456789012:role/oncall"), datetime(2026, 11, 2, tzinfo=UTC))
    create_key(keys, Kind.CHANNEL, name, by=created)
    create_key(keys, Kind.CHANNEL, f"{name}-2", by=created)
    assert revoke_keys(keys, Kind.CHANNEL, name, revoked) == 1
    mine = {r.principal.name: r for r in keys.records() if r.principal.name.startswith(name)}
    assert (mine[name].created, mine[name].revoked, mine[name].principal.revoked) == (created, revoked, True)
    assert (mine[f"{name}-2"].created, mine[f"{name}-2"].revoked) == (created, None)
    assert len(mine[name].key_id) == 12


def test_nodes_and_policies_keep_who_last_changed_them(aws, resources):
    from shared.adapters.dynamodb_nodes import DynamoDBNodes, DynamoDBPolicies
    from shared.domain.routing import Node, Policy
    from shared.domain.values import GeoPoint

    stamp = Stamp(Actor("admin", "k"), datetime(2026, 11, 1, 9, 0, tzinfo=UTC), "opened the dock")
    nodes = DynamoDBNodes(aws("dynamodb"), resources.tables["inventory"])
    node_id = f"dc-{uuid.uuid4().hex[:6]}"
    nodes.put(Node(node_id, "warehouse", GeoPoint(1.0, 2.0), True, False, 100, None, updated=stamp))
    stored = nodes.get(node_id)
    assert stored is not None
    assert stored.updated == stamp
    policies = DynamoDBPolicies(aws("dynamodb"), resources.tables["inventory"])
    channel = f"c-{uuid.uuid4().hex[:6]}"
    assert policies.get(channel).updated is None
    policies.put(channel, Policy(strategy="distance", updated=stamp))
    assert (policies.get(channel).strategy, policies.get(channel).updated) == ("distance", stamp)

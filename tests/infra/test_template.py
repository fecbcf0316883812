"""The synthesized template has the properties the design asks for, for every topology resource."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from devstack import plan
from shared import topology
from shared.email import templates
from tests.infra.synth import Synthesized
from tests.infra.template_wiring import references

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template(synth: Synthesized) -> Template:
    return Template.from_json(synth.template)


def named(synth: Synthesized, key: str) -> dict[str, str]:
    """topology name -> logical id, from the waybill:* Metadata."""
    return {r["Metadata"][key]: lid for lid, r in synth.template["Resources"].items() if key in r.get("Metadata", {})}


def props(synth: Synthesized, logical_id: str) -> dict[str, Any]:
    properties: dict[str, Any] = synth.template["Resources"][logical_id]["Properties"]
    return properties


# --- data, messaging, storage, secrets, email ------------------------------------------------------


def test_tables(synth: Synthesized, template: Template) -> None:
    template.resource_count_is("AWS::DynamoDB::Table", len(topology.TABLES))
    template.all_resources_properties(
        "AWS::DynamoDB::Table",
        {
            "BillingMode": "PAY_PER_REQUEST",
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {"SSEEnabled": True},
        },
    )
    tables = named(synth, "waybill:table")
    assert set(tables) == {t.name for t in topology.TABLES}
    for spec in topology.TABLES:
        p = props(synth, tables[spec.name])
        keys = [{"AttributeName": spec.partition_key, "KeyType": "HASH"}]
        keys += [{"AttributeName": spec.sort_key, "KeyType": "RANGE"}] if spec.sort_key else []
        assert p["KeySchema"] == keys
        if spec.ttl_attribute:
            assert p["TimeToLiveSpecification"] == {"AttributeName": spec.ttl_attribute, "Enabled": True}
        assert synth.template["Resources"][tables[spec.name]]["DeletionPolicy"] == "Retain"


def test_every_queue_has_its_dead_letter_queue_and_requires_tls(synth: Synthesized, template: Template) -> None:
    queues, dlqs = named(synth, "waybill:queue"), named(synth, "waybill:dead_letter_queue")
    assert set(queues) == {q.name for q in topology.QUEUES}
    assert set(dlqs) == {q.dlq_name for q in topology.QUEUES}
    # and one failure queue per scheduled function (test_monitoring.py checks those)
    scheduled = [f for f in topology.FUNCTIONS if any(isinstance(t, topology.ScheduleTrigger) for t in f.triggers)]
    template.resource_count_is("AWS::SQS::Queue", 2 * len(topology.QUEUES) + len(scheduled))
    template.all_resources_properties("AWS::SQS::Queue", {"SqsManagedSseEnabled": True})
    for spec in topology.QUEUES:
        p = props(synth, queues[spec.name])
        assert p["RedrivePolicy"] == {
            "deadLetterTargetArn": {"Fn::GetAtt": [dlqs[spec.dlq_name], "Arn"]},
            "maxReceiveCount": spec.max_receive_count,
        }
        assert p["VisibilityTimeout"] == spec.visibility_timeout_s
        for lid in (queues[spec.name], dlqs[spec.dlq_name]):
            template.has_resource_properties(
                "AWS::SQS::QueuePolicy",
                {
                    "Queues": [{"Ref": lid}],
                    "PolicyDocument": {
                        "Statement": Match.array_with(
                            [
                                Match.object_like(
                                    {
                                        "Effect": "Deny",
                                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                    }
                                )
                            ]
                        )
                    },
                },
            )


def test_buckets_are_private_encrypted_versioned_tls_only_and_logged(synth: Synthesized, template: Template) -> None:
    buckets = named(synth, "waybill:bucket")
    assert set(buckets) == {b.name for b in topology.BUCKETS}
    template.all_resources_properties(
        "AWS::S3::Bucket",
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "VersioningConfiguration": {"Status": "Enabled"},
        },
    )
    for lid in synth.resources("AWS::S3::Bucket"):
        template.has_resource_properties(
            "AWS::S3::BucketPolicy",
            {
                "Bucket": {"Ref": lid},
                "PolicyDocument": {
                    "Statement": Match.array_with(
                        [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                    )
                },
            },
        )
    for lid in buckets.values():
        assert "DestinationBucketName" in props(synth, lid)["LoggingConfiguration"]


def test_secrets_have_fixed_names_and_no_value_in_the_template(synth: Synthesized) -> None:
    secrets = named(synth, "waybill:secret")
    assert set(secrets) == {s.name for s in topology.SECRETS}
    for spec in topology.SECRETS:
        p = props(synth, secrets[spec.name])
        assert p["Name"] == f"Waybill/{spec.name}"
        assert "SecretString" not in p


def test_ses_templates_come_from_shared_email_templates(synth: Synthesized) -> None:
    ses = named(synth, "waybill:email_template")
    assert set(ses) == {t.name for t in topology.EMAIL_TEMPLATES}
    for spec in topology.EMAIL_TEMPLATES:
        parts = templates.load(spec.name)
        assert props(synth, ses[spec.name])["Template"] == {
            "TemplateName": f"Waybill-{spec.name}",
            "SubjectPart": parts.subject,
            "HtmlPart": parts.html,
            "TextPart": parts.text,
        }


# --- functions ---------------------------------------------------------------------------------------


def test_one_function_per_topology_function(synth: Synthesized, template: Template) -> None:
    functions = named(synth, "waybill:function")
    assert set(functions) == {f.name for f in topology.FUNCTIONS}
    # and CDK's BucketDeployment handler, which copies the console's files
    template.resource_count_is("AWS::Lambda::Function", len(topology.FUNCTIONS) + 1)
    roles = {json.dumps(props(synth, lid)["Role"]) for lid in functions.values()}
    assert len(roles) == len(functions), "every function has its own role"
    for spec in topology.FUNCTIONS:
        p = props(synth, functions[spec.name])
        assert p["Runtime"] == "python3.13"
        assert p["Architectures"] == ["arm64"]
        assert p["Handler"] == spec.handler
        assert p["MemorySize"] == spec.memory_mb
        assert p["Timeout"] == spec.timeout_s
        assert p["TracingConfig"] == {"Mode": "Active"}
        assert p["Environment"]["Variables"]["EMAIL_FROM"] == "orders@example.com"
        for key, value in topology.COMMON_ENVIRONMENT.items():
            assert p["Environment"]["Variables"][key] == value
        log_group = next(references(p["LoggingConfig"]["LogGroup"]))
        assert props(synth, log_group)["RetentionInDays"] == 30


def _environment(synth: Synthesized, fn: topology.Function) -> dict[str, Any]:
    variables: dict[str, Any] = props(synth, named(synth, "waybill:function")[fn.name])["Environment"]["Variables"]
    return variables


@pytest.mark.parametrize("fn", topology.FUNCTIONS, ids=lambda f: f.name)
def test_resource_environment_points_at_the_physical_resources(synth: Synthesized, fn: topology.Function) -> None:
    env = _environment(synth, fn)
    expected = {
        **{t.env: {"Ref": named(synth, "waybill:table")[t.name]} for t in topology.TABLES},
        **{q.env: {"Ref": named(synth, "waybill:queue")[q.name]} for q in topology.QUEUES},
        **{t.env: {"Ref": named(synth, "waybill:topic")[t.name]} for t in topology.TOPICS},
        **{
            topology.DeadLetterSend(q).env: {"Ref": named(synth, "waybill:dead_letter_queue")[q.dlq_name]}
            for q in topology.QUEUES
        },
        **{b.env: {"Ref": named(synth, "waybill:bucket")[b.name]} for b in topology.BUCKETS},
        **{s.env: f"Waybill/{s.name}" for s in topology.SECRETS},
        **{e.env: f"Waybill-{e.name}" for e in topology.EMAIL_TEMPLATES},
        **{m.env: {"Ref": named(synth, "waybill:state_machine")[m.name]} for m in topology.STATE_MACHINES},
        **{m.log_group_env: {"Ref": _log_group(synth, m)} for m in topology.STATE_MACHINES if m.express},
    }
    for store in topology.FACT_STORES:
        (stream,) = synth.resources("AWS::KinesisFirehose::DeliveryStream")
        workgroup, database = topology.FactsQuery(store).envs
        expected |= {
            topology.FactsPut(store).env: {"Ref": stream},
            workgroup: f"waybill-{store.name}",
            database: f"waybill_{store.name}",
        }
    for name in topology.resource_environment(fn):
        assert env[name] == expected[name], name


def _log_group(synth: Synthesized, machine: topology.StateMachine) -> str:
    """The log group a state machine logs to (an Express machine's steps are read from it)."""
    logging = props(synth, named(synth, "waybill:state_machine")[machine.name])["LoggingConfiguration"]
    return next(references(logging["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"]))


def _policy_statements(synth: Synthesized, role: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in synth.resources("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


@pytest.mark.parametrize("fn", topology.FUNCTIONS, ids=lambda f: f.name)
def test_function_role_touches_only_what_the_topology_grants(synth: Synthesized, fn: topology.Function) -> None:
    lid = named(synth, "waybill:function")[fn.name]
    p = props(synth, lid)
    role = next(references(p["Role"]))
    assert not synth.template["Resources"][role]["Properties"].get("ManagedPolicyArns"), "no managed policies"
    allowed = {next(references(p["LoggingConfig"]["LogGroup"]))}
    for grant in fn.grants:
        match grant:
            case topology.TableGrant(table=t):
                allowed.add(named(synth, "waybill:table")[t.name])
            case topology.QueueSend(queue=q):
                allowed.add(named(synth, "waybill:queue")[q.name])
            case topology.TopicPublish(topic=t):
                allowed.add(named(synth, "waybill:topic")[t.name])
            case topology.BucketGrant(bucket=b):
                allowed.add(named(synth, "waybill:bucket")[b.name])
            case topology.SecretRead(secret=s):
                allowed.add(named(synth, "waybill:secret")[s.name])
            case topology.ReadExecutions(state_machine=m) if m.express:
                allowed.add(_log_group(synth, m))  # its steps are in its log group
                allowed.add(named(synth, "waybill:state_machine")[m.name])
            case (
                topology.StartExecution(state_machine=m)
                | topology.TaskCallback(state_machine=m)
                | topology.ReadExecutions(state_machine=m)
                | topology.StopExecutions(state_machine=m)
            ):
                allowed.add(named(synth, "waybill:state_machine")[m.name])
            case topology.DeadLetterRedrive(queue=q):
                allowed.add(named(synth, "waybill:queue")[q.name])
                allowed.add(named(synth, "waybill:dead_letter_queue")[q.dlq_name])
            case topology.DeadLetterSend(queue=q) | topology.DeadLetterRead(queue=q):
                allowed.add(named(synth, "waybill:dead_letter_queue")[q.dlq_name])
            case topology.FactsPut():
                allowed |= set(synth.resources("AWS::KinesisFirehose::DeliveryStream"))
            case topology.FactsQuery(store=store):
                allowed.add(named(synth, "waybill:bucket")[store.bucket.name])
    allowed |= {
        named(synth, "waybill:queue")[t.queue.name] for t in fn.triggers if isinstance(t, topology.QueueTrigger)
    }
    if any(isinstance(t, topology.ScheduleTrigger) for t in fn.triggers):
        allowed.add(named(synth, "waybill:function_dlq")[fn.name])  # Lambda sends failed async runs there
    allowed |= {
        named(synth, "waybill:table")[t.table.name] for t in fn.triggers if isinstance(t, topology.StreamTrigger)
    }
    statements = _policy_statements(synth, role)
    touched = {r for s in statements for r in references(s["Resource"])} - {
        "AWS::Partition",
        "AWS::Region",
        "AWS::AccountId",
    }
    assert touched <= allowed
    for statement in statements:
        if statement["Resource"] == "*":
            # The one acknowledged wildcard (cdk-nag IAM5): X-Ray has no resource-level permissions.
            # A stream reader also lists the table's streams (CDK's DynamoEventSource grant), which
            # has no resource-level permission either.
            listing = (
                ["dynamodb:ListStreams"] if any(isinstance(t, topology.StreamTrigger) for t in fn.triggers) else []
            )
            assert sorted(statement["Action"]) == [*listing, "xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    if any(isinstance(g, topology.SendEmail) for g in fn.grants):
        ses = [s for s in statements if "ses:SendTemplatedEmail" in s["Action"]]
        assert ses
        assert all("ses:SendTemplatedEmail" in s["Action"] for s in ses)


def test_queue_triggers_report_batch_item_failures(synth: Synthesized) -> None:
    mappings = synth.resources("AWS::Lambda::EventSourceMapping")
    expected = [
        t
        for f in topology.FUNCTIONS
        for t in f.triggers
        if isinstance(t, topology.QueueTrigger | topology.StreamTrigger)
    ]
    assert len(mappings) == len(expected)
    for mapping in mappings.values():
        assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def _layers(synth: Synthesized) -> dict[str, dict[str, Any]]:
    """Waybill's own layers (not the AWS CLI layer of CDK's BucketDeployment)."""
    layers = synth.resources("AWS::Lambda::LayerVersion").items()
    return {lid: r["Properties"] for lid, r in layers if "AwsCliLayer" not in lid}


def _compiled_for_313(tree: Path) -> None:
    """Every module has its CPython 3.13 bytecode beside it, and no other version's."""
    sources = list(tree.rglob("*.py"))
    assert sources
    missing = [p for p in sources if not (p.parent / "__pycache__" / f"{p.stem}.cpython-313.pyc").is_file()]
    assert not missing, missing[:5]
    assert not [p for p in tree.rglob("*.pyc") if ".cpython-313." not in p.name]
    # unchecked-hash (flags 0b01): used as is, since asset zips do not keep the sources' mtimes
    sample = next(p for p in tree.rglob("__pycache__/*.cpython-313.pyc"))
    assert int.from_bytes(sample.read_bytes()[4:8], "little") == 0b01


def test_dependency_layers_are_built_for_arm64_python_3_13_with_bytecode(synth: Synthesized) -> None:
    layers = _layers(synth)
    assert len(layers) == 2
    trees = {}
    for layer in layers.values():
        assert layer["CompatibleRuntimes"] == ["python3.13"]
        assert layer["CompatibleArchitectures"] == ["arm64"]
        tree = synth.asset_source(layer["Content"]["S3Key"]) / "python"
        trees["labels" if (tree / "fpdf").is_dir() else "base"] = tree
        _compiled_for_313(tree)
    base, labels = trees["base"], trees["labels"]
    for package in ("aws_lambda_powertools", "pydantic", "pydantic_core", "stripe", "email_validator"):
        assert (base / package).is_dir(), package
    for provided in ("boto3", "botocore"):
        assert not (base / provided).exists(), f"{provided} is in the Lambda runtime"
    binaries = [p.name for p in (base / "pydantic_core").glob("*.so")]
    assert binaries
    assert all("cpython-313-aarch64-linux-gnu" in b for b in binaries)
    for package in ("fpdf", "PIL", "fontTools", "barcode"):
        assert (labels / package).is_dir(), package
        assert not (base / package).exists(), f"{package} ships only with the functions that draw labels"


def test_only_the_functions_that_draw_labels_get_the_pdf_layer(synth: Synthesized) -> None:
    (labels,) = [
        lid
        for lid, layer in _layers(synth).items()
        if (synth.asset_source(layer["Content"]["S3Key"]) / "python" / "fpdf").is_dir()
    ]
    functions = named(synth, "waybill:function")
    drawing = {fn.name for fn in topology.FUNCTIONS if fn.draws_labels}
    assert drawing == {"buy_label", "return_label"}
    for fn in topology.FUNCTIONS:
        layers = props(synth, functions[fn.name])["Layers"]
        assert ({"Ref": labels} in layers) == (fn.name in drawing), fn.name
        assert len(layers) == (2 if fn.name in drawing else 1)


def test_code_asset_holds_functions_and_shared_only_with_bytecode(synth: Synthesized) -> None:
    keys = {json.dumps(props(synth, lid)["Code"]) for lid in named(synth, "waybill:function").values()}
    assert len(keys) == 1, "one code asset for all functions"
    root = synth.asset_source(json.loads(keys.pop())["S3Key"])
    assert {p.name for p in root.iterdir()} == {"functions", "shared"}
    _compiled_for_313(root)
    for fn in topology.FUNCTIONS:
        module = fn.handler.rsplit(".", 1)[0].replace(".", "/")
        assert (root / f"{module}.py").is_file() or not (REPO_ROOT / f"{module}.py").exists()


# --- state machines ----------------------------------------------------------------------------------


def test_state_machines_run_the_asl_with_function_arns(synth: Synthesized, template: Template) -> None:
    machines = named(synth, "waybill:state_machine")
    functions = named(synth, "waybill:function")
    assert set(machines) == {m.name for m in topology.STATE_MACHINES}
    template.all_resources_properties(
        "AWS::StepFunctions::StateMachine",
        {"TracingConfiguration": {"Enabled": True}, "LoggingConfiguration": Match.object_like({"Level": "ALL"})},
    )
    for spec in topology.STATE_MACHINES:
        p = props(synth, machines[spec.name])
        # Express for the run's preparation (billed by duration), with the data its steps show in
        # its log; Standard for the rest, whose data stays in their execution history
        assert p["StateMachineType"] == ("EXPRESS" if spec.express else "STANDARD")
        assert p["LoggingConfiguration"]["IncludeExecutionData"] is spec.express
        tasks = {
            t.placeholder: fn.name
            for fn in topology.FUNCTIONS
            for t in fn.triggers
            if isinstance(t, topology.TaskTrigger) and t.state_machine == spec
        }
        assert p["DefinitionSubstitutions"] == {
            placeholder: {"Fn::GetAtt": [functions[name], "Arn"]} for placeholder, name in tasks.items()
        }
        # The definition CDK uploads is the ASL file; every placeholder in it has a substitution.
        definition = synth.asset_source(p["DefinitionS3Location"]["Key"]).read_text()
        asl = json.loads((REPO_ROOT / spec.definition_path).read_text())
        assert json.loads(definition)["States"].keys() == asl["States"].keys()
        assert set(re.findall(r"\$\{(\w+)\}", definition)) == set(tasks)
        # Its role may invoke exactly the task functions.
        role = next(references(p["RoleArn"]))
        invoke = [s for s in _policy_statements(synth, role) if s["Action"] == "lambda:InvokeFunction"]
        assert [sorted(next(references(r)) for r in s["Resource"]) for s in invoke] == [
            sorted(functions[name] for name in set(tasks.values()))
        ]


# --- API -----------------------------------------------------------------------------------------------


def test_api_methods_match_topology_routes(synth: Synthesized) -> None:
    from tests.infra.template_wiring import wiring_from_template

    wiring = wiring_from_template(synth.template)
    assert wiring.routes == {(r.method, r.path, f.name) for f in topology.FUNCTIONS for r in f.routes}
    # (OPTIONS is the browser's CORS preflight, answered by API Gateway: tests/infra/test_console.py)
    methods = [
        m for m in synth.resources("AWS::ApiGateway::Method").values() if m["Properties"]["HttpMethod"] != "OPTIONS"
    ]
    assert {m["Properties"]["AuthorizationType"] for m in methods} <= {"CUSTOM", "NONE"}
    for m in methods:
        assert m["Properties"]["Integration"]["Type"] == "AWS_PROXY"
        assert "RequestValidatorId" in m["Properties"]


def test_authorizer_is_a_lambda_request_authorizer_on_the_authorization_header(template: Template) -> None:
    template.resource_count_is("AWS::ApiGateway::Authorizer", 1)
    template.has_resource_properties(
        "AWS::ApiGateway::Authorizer",
        {
            "Type": "REQUEST",
            "IdentitySource": "method.request.header.Authorization",
            # the local gateway keeps each answer as long (devstack/gateway.py): one figure for both
            "AuthorizerResultTtlInSeconds": plan.build().authorizer_cache_s,
        },
    )


def test_stage_logs_traces_and_throttles(template: Template) -> None:
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "AccessLogSetting": Match.object_like({"DestinationArn": Match.any_value()}),
            "TracingEnabled": True,
            "MethodSettings": Match.array_with(
                [
                    Match.object_like(
                        {
                            "HttpMethod": "*",
                            "ResourcePath": "/*",
                            "LoggingLevel": "ERROR",
                            "DataTraceEnabled": False,
                            "ThrottlingRateLimit": Match.any_value(),
                            "ThrottlingBurstLimit": Match.any_value(),
                        }
                    )
                ]
            ),
        },
    )
    template.has_resource_properties(
        "AWS::ApiGateway::RequestValidator", {"ValidateRequestBody": True, "ValidateRequestParameters": True}
    )


@pytest.mark.parametrize(
    ("response_type", "status", "code"),
    [
        ("UNAUTHORIZED", "401", "unauthorized"),
        ("ACCESS_DENIED", "403", "forbidden"),
        ("REQUEST_TOO_LARGE", "413", "payload_too_large"),
        ("MISSING_AUTHENTICATION_TOKEN", "404", "not_found"),
        ("THROTTLED", "429", "throttled"),
        ("DEFAULT_4XX", None, "bad_request"),
        ("DEFAULT_5XX", None, "internal_error"),
    ],
)
def test_gateway_responses_use_the_error_shape(
    synth: Synthesized, response_type: str, status: str | None, code: str
) -> None:
    (response,) = [
        r["Properties"]
        for r in synth.resources("AWS::ApiGateway::GatewayResponse").values()
        if r["Properties"]["ResponseType"] == response_type
    ]
    assert response.get("StatusCode") == status
    parameters = dict(response["ResponseParameters"])
    # the console (another origin) reads the refusal too: tests/infra/test_console.py checks the origin
    assert parameters.pop("gatewayresponse.header.Access-Control-Allow-Origin")
    assert parameters.pop("gatewayresponse.header.Vary") == "'Origin'"
    assert parameters == {"gatewayresponse.header.Content-Type": "'application/json'"}
    # API Gateway fills $context.error.messageString with a JSON string literal.
    body = response["ResponseTemplates"]["application/json"].replace("$context.error.messageString", '"msg"')
    error = json.loads(body)["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    assert error["details"] == []


def test_no_schedule_without_a_schedule_trigger(template: Template) -> None:
    expected = [t for f in topology.FUNCTIONS for t in f.triggers if isinstance(t, topology.ScheduleTrigger)]
    template.resource_count_is("AWS::Events::Rule", len(expected))


def test_template_reports_nothing_and_is_environment_agnostic(synth: Synthesized) -> None:
    assert not synth.resources("AWS::CDK::Metadata")
    assert set(synth.template.get("Parameters", {})) == {"BootstrapVersion"}
    text = json.dumps(synth.template)
    assert "123456789012" not in text
    assert "us-east-1" not in text

"""Creates Waybill's resources in the emulated AWS from the topology, as the CDK stack does in AWS."""

from __future__ import annotations

import io
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from devstack.plan import LocalPlan
from shared import topology as t
from shared.email.templates import load as load_template

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "waybill"
ACCOUNT = "123456789012"
# Signs the Stripe webhooks the embedded stack accepts (tests sign with it; dev.json shows it).
WEBHOOK_SECRET = "whsec_waybill_embedded"  # noqa: S105 - the embedded stack's own, not a real secret


@dataclass
class Resources:
    """Physical names of what was created, keyed by the topology's logical names."""

    endpoint: str
    region: str
    tables: dict[str, str] = field(default_factory=dict)
    queue_urls: dict[str, str] = field(default_factory=dict)
    dlq_urls: dict[str, str] = field(default_factory=dict)
    topic_arns: dict[str, str] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)
    state_machines: dict[str, str] = field(default_factory=dict)
    function_arns: dict[str, str] = field(default_factory=dict)
    # fact store name -> {env name: physical name} (delivery stream, workgroup, database)
    fact_stores: dict[str, dict[str, str]] = field(default_factory=dict)

    def function_arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{ACCOUNT}:function:{PREFIX}-{name}"

    def physical(self, env_name: str, logical: str) -> str:
        """The value the CDK stack would put in environment variable `env_name`."""
        if env_name.startswith("TABLE_"):
            return self.tables[logical]
        if env_name.startswith("DLQ_"):
            return self.dlq_urls[logical]
        if env_name.startswith("QUEUE_"):
            return self.queue_urls[logical]
        if env_name.startswith("TOPIC_"):
            return self.topic_arns[logical]
        if env_name.startswith("BUCKET_"):
            return self.buckets[logical]
        if env_name.startswith("SECRET_"):
            return self.secrets[logical]
        if env_name.startswith("STATE_MACHINE_") and env_name.endswith("_LOG_GROUP"):
            return state_machine_log_group(logical)
        if env_name.startswith("STATE_MACHINE_"):
            return self.state_machines[logical]
        if env_name.startswith("EMAIL_TEMPLATE_"):
            return self.templates[logical]
        if env_name.startswith(("FACTS_", "ANALYTICS_")):
            return self.fact_stores[logical][env_name]
        raise KeyError(env_name)


def _client(service: str, res: Resources) -> Any:
    return boto3.client(service, endpoint_url=res.endpoint, region_name=res.region)  # type: ignore[call-overload]


def _placeholder_zip() -> bytes:
    # moto stores the code; the handlers themselves run from this checkout (devstack.runtime).
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("README.txt", "Waybill embedded stack: handlers run in-process from the checkout.\n")
    return buf.getvalue()


def provision(
    plan: LocalPlan,
    endpoint: str,
    region: str,
    sender: str,
    stripe_key: str,
    browser_origin: str = "http://127.0.0.1:4000",  # the gateway's, where the console is served
) -> Resources:
    res = Resources(endpoint, region)
    _tables(res, frozenset(p.table.name for p in plan.streams))
    _queues(res)
    sns = _client("sns", res)
    for topic in t.TOPICS:
        res.topic_arns[topic.name] = sns.create_topic(Name=f"{PREFIX}-{topic.name}")["TopicArn"]
    s3 = _client("s3", res)
    for bucket in t.BUCKETS:
        res.buckets[bucket.name] = name = f"{PREFIX}-{bucket.name}"
        s3.create_bucket(Bucket=name)
    _fact_stores(res)
    sm = _client("secretsmanager", res)
    for secret in t.SECRETS:
        res.secrets[secret.name] = name = f"{PREFIX}/{secret.name}"
        value = WEBHOOK_SECRET if secret == t.STRIPE_WEBHOOK else stripe_key
        sm.create_secret(Name=name, Description=secret.description, SecretString=value)
    ses = _client("ses", res)
    ses.verify_email_identity(EmailAddress=sender)
    for template in t.EMAIL_TEMPLATES:
        parts = load_template(template.name)
        res.templates[template.name] = name = f"{PREFIX}-{template.name}"
        ses.create_template(
            Template={
                "TemplateName": name,
                "SubjectPart": parts.subject,
                "HtmlPart": parts.html,
                "TextPart": parts.text,
            }
        )
    # Functions and state machines name each other: both ARNs are known before either exists.
    for machine in t.STATE_MACHINES:
        res.state_machines[machine.name] = f"arn:aws:states:{region}:{ACCOUNT}:stateMachine:{PREFIX}-{machine.name}"
    _functions(plan, res, sender, browser_origin)
    _state_machines(plan, res)
    _schedules(plan, res)
    return res


def _projection(included: tuple[str, ...]) -> dict[str, Any]:
    if not included:
        return {"ProjectionType": "KEYS_ONLY"}
    return {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(included)}


def _tables(res: Resources, streamed: frozenset[str]) -> None:
    ddb = _client("dynamodb", res)
    for table in t.TABLES:
        keys = [(table.partition_key, "HASH")] + ([(table.sort_key, "RANGE")] if table.sort_key else [])
        res.tables[table.name] = name = f"{PREFIX}-{table.name}"
        indexes = [
            {
                "IndexName": index,
                "KeySchema": [{"AttributeName": pk, "KeyType": "HASH"}]
                + ([{"AttributeName": sk, "KeyType": "RANGE"}] if sk else []),
                "Projection": _projection(table.projected(index)),  # as infra/constructs/data.py
            }
            for index, pk, sk in table.indexes
        ]
        attributes = dict.fromkeys([k for k, _ in keys] + [a for _, pk, sk in table.indexes for a in (pk, sk) if a])
        ddb.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": k, "KeyType": kt} for k, kt in keys],
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in attributes],
            **({"GlobalSecondaryIndexes": indexes} if indexes else {}),
            **(
                {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}}
                if table.name in streamed
                else {}
            ),
        )
        if table.ttl_attribute:
            ddb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
            )


def _fact_stores(res: Resources) -> None:
    """The delivery stream into the fact store's bucket (moto's Firehose writes each batch there at once),
    and the Glue database and Athena workgroup the AWS reports run in (named, never queried locally)."""
    firehose, glue, athena = _client("firehose", res), _client("glue", res), _client("athena", res)
    for store in t.FACT_STORES:
        name = f"{PREFIX}-{store.name}"
        firehose.create_delivery_stream(
            DeliveryStreamName=name,
            DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration={
                "RoleARN": f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}-firehose",
                "BucketARN": f"arn:aws:s3:::{res.buckets[store.bucket.name]}",
                "Prefix": store.prefix,
            },
        )
        database = f"{PREFIX}_{store.name}"
        glue.create_database(DatabaseInput={"Name": database})
        athena.create_work_group(Name=name)
        put, query = t.FactsPut(store), t.FactsQuery(store)
        workgroup_env, database_env = query.envs
        res.fact_stores[store.name] = {put.env: name, workgroup_env: name, database_env: database}


def _queues(res: Resources) -> None:
    sqs = _client("sqs", res)
    # Embedded stack only: tests shorten redelivery to see a poison message reach the DLQ quickly.
    override = os.environ.get("WAYBILL_DEV_VISIBILITY_TIMEOUT_S")
    for queue in t.QUEUES:
        dlq_url = sqs.create_queue(QueueName=f"{PREFIX}-{queue.dlq_name}")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(queue.max_receive_count)}
        res.queue_urls[queue.name] = sqs.create_queue(
            QueueName=f"{PREFIX}-{queue.name}",
            Attributes={
                "VisibilityTimeout": override or str(queue.visibility_timeout_s),
                "RedrivePolicy": json.dumps(redrive),
            },
        )["QueueUrl"]
        res.dlq_urls[queue.name] = dlq_url


def _role(iam: Any, name: str, service: str) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }
    arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    return arn


def shop_environment() -> dict[str, str]:
    """WAYBILL_SHOP_NAME names the shop in the local stack's emails (and their From)."""
    name = os.environ.get("WAYBILL_SHOP_NAME", "").strip()
    return {"SHOP_NAME": name, "EMAIL_FROM_NAME": name} if name else {}


def function_environment(fn: t.Function, res: Resources, sender: str, browser_origin: str) -> dict[str, str]:
    env = {
        **t.COMMON_ENVIRONMENT,
        **shop_environment(),
        t.EMAIL_FROM_ENV: sender,
        t.BROWSER_ORIGIN_ENV: browser_origin,
        **fn.environment,
    }
    env.update({name: res.physical(name, logical) for name, logical in t.resource_environment(fn).items()})
    return env


def _functions(plan: LocalPlan, res: Resources, sender: str, browser_origin: str) -> None:
    lam, iam = _client("lambda", res), _client("iam", res)
    code = _placeholder_zip()
    for fn in plan.functions:
        role = _role(iam, f"{PREFIX}-{fn.name}", "lambda.amazonaws.com")
        res.function_arns[fn.name] = lam.create_function(
            FunctionName=f"{PREFIX}-{fn.name}",
            Runtime="python3.13",
            Architectures=["arm64"],
            Role=role,
            Handler=fn.handler,
            Code={"ZipFile": code},
            Description=fn.description,
            Timeout=fn.timeout_s,
            MemorySize=fn.memory_mb,
            Environment={"Variables": function_environment(fn, res, sender, browser_origin)},
        )["FunctionArn"]
    sqs = _client("sqs", res)
    for poller in plan.pollers:
        queue_arn = sqs.get_queue_attributes(QueueUrl=res.queue_urls[poller.queue.name], AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        # Recorded for parity with AWS; devstack.pollers does the polling (moto's mapping would
        # try to run the function in Docker).
        lam.create_event_source_mapping(
            EventSourceArn=queue_arn,
            FunctionName=f"{PREFIX}-{poller.function}",
            BatchSize=poller.batch_size,
            FunctionResponseTypes=["ReportBatchItemFailures"],
            Enabled=False,
        )


def state_machine_log_group(machine: str) -> str:
    """As the CDK stack names it (infra/constructs/workflows.py)."""
    return f"/aws/vendedlogs/states/{PREFIX}-{machine}"


def _state_machines(plan: LocalPlan, res: Resources) -> None:
    sfn, iam, cwlogs = _client("stepfunctions", res), _client("iam", res), _client("logs", res)
    role = _role(iam, f"{PREFIX}-states", "states.amazonaws.com")
    for machine in t.STATE_MACHINES:
        definition = (ROOT / machine.definition_path).read_text()
        for task in plan.tasks:
            if task.state_machine == machine.name:
                definition = definition.replace("${" + task.placeholder + "}", res.function_arns[task.function])
        if "${" in definition:
            raise ValueError(f"{machine.definition_path} has a placeholder no topology task fills")
        options: dict[str, Any] = {"type": "STANDARD"}
        if machine.express:
            # Its steps are read back from this log group, as in AWS (moto writes the same events).
            group = state_machine_log_group(machine.name)
            cwlogs.create_log_group(logGroupName=group)
            group_arn = f"arn:aws:logs:{res.region}:{ACCOUNT}:log-group:{group}:*"
            options = {
                "type": "EXPRESS",
                "loggingConfiguration": {
                    "level": "ALL",
                    "includeExecutionData": True,
                    "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": group_arn}}],
                },
            }
        arn = sfn.create_state_machine(name=f"{PREFIX}-{machine.name}", definition=definition, roleArn=role, **options)[
            "stateMachineArn"
        ]
        assert arn == res.state_machines[machine.name], arn


def _schedules(plan: LocalPlan, res: Resources) -> None:
    events = _client("events", res)
    for schedule in plan.schedules:
        events.put_rule(Name=f"{PREFIX}-{schedule.name}", ScheduleExpression=schedule.expression)
        events.put_targets(
            Rule=f"{PREFIX}-{schedule.name}",
            Targets=[{"Id": schedule.function, "Arn": res.function_arns[schedule.function]}],
        )

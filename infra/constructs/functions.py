"""The Lambda functions, one per topology Function, each with its own role holding only its grants.

All functions share one code asset (functions/ and shared/, with bytecode) and one dependency layer;
the functions that draw labels also get the label layer (the PDF stack).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import cast

from aws_cdk import ArnFormat, BundlingOptions, Duration, ILocalBundling, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra import metadata
from infra.constructs.analytics import RESULTS_PREFIX, Analytics
from infra.constructs.bundling import (
    BASE,
    LABELS,
    UNUSED_IMAGE,
    PipLayerBundling,
    build_code_tree,
    cache_key,
    layer_requirements,
    locked_versions,
)
from infra.naming import pascal
from infra.spec import REPO_ROOT
from shared.topology import (
    BROWSER_ORIGIN_ENV,
    COMMON_ENVIRONMENT,
    EMAIL_FROM_ENV,
    Access,
    BucketGrant,
    DeadLetterRead,
    DeadLetterRedrive,
    DeadLetterSend,
    FactsPut,
    FactsQuery,
    Function,
    Grant,
    QueueSend,
    QueueTrigger,
    ReadExecutions,
    ScheduleTrigger,
    SecretRead,
    SendEmail,
    StartExecution,
    StopExecutions,
    StreamTrigger,
    TableGrant,
    TaskCallback,
    TopicPublish,
    resource_environment,
)

# 3.13, not 3.14: the build compiles bytecode with the runtime's exact version (see bundling.py).
RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.ARM_64
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
# The longest SQS allows: time for a person to look at a failed scheduled run and start it again.
FAILURE_RETENTION = Duration.days(14)


@dataclass
class Resources:
    """The physical resources functions may be granted, by topology name."""

    tables: Mapping[str, dynamodb.ITable]
    queues: Mapping[str, sqs.IQueue]
    topics: Mapping[str, sns.ITopic]
    buckets: Mapping[str, s3.IBucket]
    secrets: Mapping[str, secretsmanager.ISecret]
    secret_names: Mapping[str, str]
    email_templates: Mapping[str, str]  # topology name -> SES template name
    sender_email: str
    # the console's origin, the one browsers may call the API from
    browser_origin: str
    # queue name -> its dead-letter queue
    dead_letter_queues: Mapping[str, sqs.IQueue] = field(default_factory=dict)
    # fact store name -> its delivery stream, Glue table and Athena workgroup
    fact_stores: Mapping[str, Analytics] = field(default_factory=dict)
    # SHOP_NAME / EMAIL_FROM_NAME where the deployment names its shop (else the topology's defaults)
    shop: Mapping[str, str] = field(default_factory=dict)
    # topology name -> (state machine, its physical name); filled once the state machines exist
    state_machines: dict[str, tuple[sfn.IStateMachine, str]] = field(default_factory=dict)
    log_groups: dict[str, logs.ILogGroup] = field(default_factory=dict)  # each state machine's


class Functions(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, functions: tuple[Function, ...], resources: Resources
    ) -> None:
        super().__init__(scope, construct_id)
        self._resources = resources
        self.specs = {spec.name: spec for spec in functions}
        self.functions: dict[str, lambda_.Function] = {}
        self.roles: dict[str, iam.Role] = {}
        # function name -> where its failed asynchronous invocations (schedules) end up
        self.failure_queues: dict[str, sqs.Queue] = {}
        # function name -> names of the resource variables set so far (checked against the topology)
        self._resource_env: dict[str, set[str]] = {}
        code = lambda_.Code.from_asset(str(build_code_tree()))
        base = self._dependency_layer("Dependencies", BASE, "Waybill runtime dependencies, less the PDF stack")
        labels = self._dependency_layer("LabelDependencies", LABELS, "The label PDF stack: fpdf2, Pillow, fontTools")
        for spec in functions:
            self._add_function(spec, code, [base, labels] if spec.draws_labels else [base])

    def _dependency_layer(self, construct_id: str, part: str, description: str) -> lambda_.LayerVersion:
        requirements, constraints = layer_requirements(), locked_versions()
        return lambda_.LayerVersion(
            self,
            construct_id,
            description=description,
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            code=lambda_.Code.from_asset(
                str(REPO_ROOT / "infra"),
                # The content is decided by the requirements and uv.lock, not by the files under infra/.
                asset_hash=f"{cache_key(requirements, constraints)}-{part}",
                bundling=BundlingOptions(
                    image=UNUSED_IMAGE,
                    local=cast(ILocalBundling, PipLayerBundling(requirements, constraints, part)),
                ),
            ),
        )

    def _add_function(self, spec: Function, code: lambda_.Code, layers: list[lambda_.ILayerVersion]) -> None:
        name = pascal(spec.name)
        role = iam.Role(
            self,
            f"{name}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Waybill {spec.name}: only the grants shared/topology.py declares",
        )
        log_group = logs.LogGroup(self, f"{name}Logs", retention=LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY)
        # Instead of AWSLambdaBasicExecutionRole: write to this function's log group only.
        log_group.grant_write(role)
        failures = self._failure_queue(spec)
        fn = lambda_.Function(
            self,
            name,
            description=spec.description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=spec.handler,
            code=code,
            layers=layers,
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_s),
            role=role,
            log_group=log_group,
            tracing=lambda_.Tracing.ACTIVE,
            dead_letter_queue=failures,
            environment={
                **COMMON_ENVIRONMENT,
                **self._resources.shop,
                EMAIL_FROM_ENV: self._resources.sender_email,
                BROWSER_ORIGIN_ENV: self._resources.browser_origin,
                **spec.environment,
            },
        )
        metadata.tag(fn, metadata.FUNCTION, spec.name)
        self.functions[spec.name] = fn
        self.roles[spec.name] = role
        self._resource_env[spec.name] = set()
        for grant in spec.grants:
            if not isinstance(
                grant, StartExecution | TaskCallback | ReadExecutions | StopExecutions
            ):  # bound once the state machines exist
                self._bind(spec, grant)
        for trigger in spec.triggers:
            if isinstance(trigger, QueueTrigger):
                self._subscribe(spec, fn, trigger)
            elif isinstance(trigger, StreamTrigger):
                self._read_stream(fn, trigger)

    def _failure_queue(self, spec: Function) -> sqs.Queue | None:
        """A dead-letter queue for a function invoked asynchronously (by a schedule): nobody waits for
        its answer, so a run that fails through Lambda's retries would otherwise leave no trace but logs."""
        if not any(isinstance(t, ScheduleTrigger) for t in spec.triggers):
            return None  # invoked synchronously: the caller (API, state machine, queue) sees the failure
        queue = sqs.Queue(
            self,
            f"{pascal(spec.name)}Failures",
            retention_period=FAILURE_RETENTION,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        metadata.tag(queue, metadata.FUNCTION_DLQ, spec.name)
        self.failure_queues[spec.name] = queue
        return queue

    def bind_state_machines(
        self,
        state_machines: Mapping[str, tuple[sfn.IStateMachine, str]],
        log_groups: Mapping[str, logs.ILogGroup],
    ) -> None:
        """Second phase: StartExecution grants, then a check that every function got its environment."""
        self._resources.state_machines.update(state_machines)
        self._resources.log_groups.update(log_groups)
        for spec in self.specs.values():
            for grant in spec.grants:
                if isinstance(grant, StartExecution | TaskCallback | ReadExecutions | StopExecutions):
                    self._bind(spec, grant)
            missing = set(resource_environment(spec)) - self._resource_env[spec.name]
            if missing:
                raise ValueError(f"function {spec.name}: no value for {sorted(missing)}")

    def _bind(self, spec: Function, grant: Grant) -> None:
        role, res = self.roles[spec.name], self._resources
        match grant:
            case TableGrant(table=t, access=access):
                table = res.tables[t.name]
                {
                    Access.READ: table.grant_read_data,
                    Access.WRITE: table.grant_write_data,
                    Access.READ_WRITE: table.grant_read_write_data,
                }[access](role)
                self._env(spec, t.env, table.table_name)
            case QueueSend(queue=q):
                res.queues[q.name].grant_send_messages(role)
                self._env(spec, q.env, res.queues[q.name].queue_url)
            case TopicPublish(topic=topic):
                # sns:Publish only: the topic's AWS-managed key (aws/sns) lets any principal of the
                # account that may publish use it through SNS (grant_publish would add kms:* on key/*)
                arn = res.topics[topic.name].topic_arn
                role.add_to_principal_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=[arn]))
                self._env(spec, topic.env, arn)
            case BucketGrant(bucket=b, access=access):
                bucket = res.buckets[b.name]
                _grant_bucket(role, bucket, access)
                self._env(spec, b.env, bucket.bucket_name)
            case SecretRead(secret=s):
                res.secrets[s.name].grant_read(role)
                self._env(spec, s.env, res.secret_names[s.name])
            case StartExecution(state_machine=m) if m.express:
                # Starting only: an Express execution cannot be described or stopped by its caller.
                machine, _ = res.state_machines[m.name]
                machine.grant_start_execution(role)
                self._env(spec, m.env, machine.state_machine_arn)
            case StartExecution(state_machine=m):
                machine, machine_name = res.state_machines[m.name]
                machine.grant_start_execution(role)
                # Callers poll their own executions: DescribeExecution on this machine's executions only.
                role.add_to_principal_policy(
                    iam.PolicyStatement(
                        actions=["states:DescribeExecution"], resources=[self._executions(machine_name)]
                    )
                )
                self._env(spec, m.env, machine.state_machine_arn)
            case ReadExecutions(state_machine=m) if m.express:
                # an Express machine has no execution history: its steps are read from its log group
                machine, _ = res.state_machines[m.name]
                group = res.log_groups[m.name]
                role.add_to_principal_policy(
                    iam.PolicyStatement(actions=["logs:FilterLogEvents"], resources=[group.log_group_arn])
                )
                self._env(spec, m.env, machine.state_machine_arn)
                self._env(spec, m.log_group_env, group.log_group_name)
            case ReadExecutions(state_machine=m):
                machine, machine_name = res.state_machines[m.name]
                role.add_to_principal_policy(
                    iam.PolicyStatement(
                        actions=["states:DescribeExecution", "states:GetExecutionHistory"],
                        resources=[self._executions(machine_name)],
                    )
                )
                self._env(spec, m.env, machine.state_machine_arn)
            case DeadLetterRedrive(queue=q):
                dlq, queue = res.dead_letter_queues[q.name], res.queues[q.name]
                dlq.grant_consume_messages(role)  # receive, delete, attributes: peek and take
                queue.grant_send_messages(role)  # put back
                self._env(spec, q.env, queue.queue_url)
                self._env(spec, grant.env, dlq.queue_url)
            case DeadLetterSend(queue=q):
                dlq = res.dead_letter_queues[q.name]
                dlq.grant_send_messages(role)
                self._env(spec, grant.env, dlq.queue_url)
            case DeadLetterRead(queue=q):
                dlq = res.dead_letter_queues[q.name]
                # count and peek (a zero visibility timeout): nothing is deleted or moved
                dlq.grant(role, "sqs:GetQueueAttributes", "sqs:ReceiveMessage")
                self._env(spec, grant.env, dlq.queue_url)
            case StopExecutions(state_machine=m):
                # By name, as for task tokens: a task of the machine may stop its executions.
                _, machine_name = res.state_machines[m.name]
                role.add_to_principal_policy(
                    iam.PolicyStatement(
                        actions=["states:DescribeExecution", "states:StopExecution"],
                        resources=[self._executions(machine_name)],
                    )
                )
            case TaskCallback(state_machine=m):
                # By name, not by reference: the machine invokes these functions, so referencing it
                # from their policies would make a dependency cycle.
                _, machine_name = res.state_machines[m.name]
                machine_arn = Stack.of(self).format_arn(
                    service="states",
                    resource="stateMachine",
                    resource_name=machine_name,
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
                role.add_to_principal_policy(
                    iam.PolicyStatement(
                        actions=["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"],
                        resources=[machine_arn],
                    )
                )
            case SendEmail(templates=templates):
                _grant_send_email(role, res, [res.email_templates[e.name] for e in templates])
                for e in templates:
                    self._env(spec, e.env, res.email_templates[e.name])
            case FactsPut(store=store):
                analytics = res.fact_stores[store.name]
                role.add_to_principal_policy(
                    iam.PolicyStatement(
                        actions=["firehose:PutRecord", "firehose:PutRecordBatch"],
                        resources=[analytics.delivery_stream_arn],
                    )
                )
                self._env(spec, grant.env, analytics.delivery_stream_name)
            case FactsQuery(store=store):
                _grant_reports(role, res.fact_stores[store.name])
                analytics = res.fact_stores[store.name]
                workgroup_env, database_env = grant.envs
                self._env(spec, workgroup_env, analytics.workgroup_name)
                self._env(spec, database_env, analytics.database_name)

    def _executions(self, machine_name: str) -> str:
        """The ARN pattern of one state machine's executions."""
        return Stack.of(self).format_arn(
            service="states",
            resource="execution",
            resource_name=f"{machine_name}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

    def _read_stream(self, fn: lambda_.Function, trigger: StreamTrigger) -> None:
        fn.add_event_source(
            sources.DynamoEventSource(
                self._resources.tables[trigger.table.name],
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=trigger.batch_size,
                max_batching_window=Duration.seconds(5),
                report_batch_item_failures=True,
                # a record that keeps failing is split out of its batch, then dropped after a day
                bisect_batch_on_error=True,
                retry_attempts=10,
                max_record_age=Duration.days(1),
            )
        )

    def _env(self, spec: Function, name: str, value: str) -> None:
        self.functions[spec.name].add_environment(name, value)
        self._resource_env[spec.name].add(name)

    def _subscribe(self, spec: Function, fn: lambda_.Function, trigger: QueueTrigger) -> None:
        if trigger.queue.visibility_timeout_s < spec.timeout_s:
            # Lambda refuses the mapping at deploy time; fail at synth with the reason instead.
            raise ValueError(
                f"queue {trigger.queue.name}: visibility timeout {trigger.queue.visibility_timeout_s}s "
                f"is shorter than function {spec.name}'s timeout {spec.timeout_s}s"
            )
        fn.add_event_source(
            sources.SqsEventSource(
                self._resources.queues[trigger.queue.name],
                batch_size=trigger.batch_size,
                # SQS requires a batching window for batches above 10.
                max_batching_window=Duration.seconds(1) if trigger.batch_size > 10 else None,
                report_batch_item_failures=True,
            )
        )


def _grant_bucket(role: iam.IRole, bucket: s3.IBucket, access: Access) -> None:
    actions = {
        Access.READ: ["s3:GetObject"],
        Access.WRITE: ["s3:PutObject"],
        Access.READ_WRITE: ["s3:GetObject", "s3:PutObject"],
    }[access]
    role.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=[bucket.arn_for_objects("*")]))
    if access is not Access.WRITE:
        # ListBucket lets a missing key read as 404 NoSuchKey instead of 403.
        role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket.bucket_arn]))


def _grant_reports(role: iam.IRole, analytics: Analytics) -> None:
    """Athena in the analytics workgroup, the Glue table it reads, and the results it writes."""
    stack = Stack.of(role)
    workgroup = stack.format_arn(service="athena", resource="workgroup", resource_name=analytics.workgroup_name)
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=[
                "athena:StartQueryExecution",
                "athena:GetQueryExecution",
                "athena:GetQueryResults",
                "athena:StopQueryExecution",
            ],
            resources=[workgroup],
        )
    )
    glue_resources = [
        stack.format_arn(service="glue", resource="catalog"),
        stack.format_arn(service="glue", resource="database", resource_name=analytics.database_name),
        stack.format_arn(service="glue", resource="table", resource_name=f"{analytics.database_name}/fact_rows"),
    ]
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["glue:GetDatabase", "glue:GetTable", "glue:GetPartitions"], resources=glue_resources
        )
    )
    bucket = analytics.bucket
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["s3:PutObject", "s3:AbortMultipartUpload"],
            resources=[bucket.arn_for_objects(f"{RESULTS_PREFIX}*")],
        )
    )
    role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:GetBucketLocation"], resources=[bucket.bucket_arn]))


def _grant_send_email(role: iam.IRole, res: Resources, template_names: list[str]) -> None:
    stack = Stack.of(role)
    domain = res.sender_email.rpartition("@")[2]
    # SES authorizes against the verified identity used: the address, or its domain when only that is.
    identities = [res.sender_email, domain]
    resources = [stack.format_arn(service="ses", resource="identity", resource_name=i) for i in identities]
    resources += [stack.format_arn(service="ses", resource="template", resource_name=t) for t in template_names]
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=["ses:SendTemplatedEmail", "ses:SendEmail"], resources=resources)
    )

"""The vocabulary of a topology: resources, triggers, grants and functions, and the environment
names a function's grants give it. Waybill's own declaration, in these terms, is shared/topology.py."""

from __future__ import annotations

from dataclasses import field
from enum import StrEnum

from shared.domain.principal import Kind
from shared.records import record


class Access(StrEnum):
    READ = "read"
    WRITE = "write"
    READ_WRITE = "read_write"


# --- resources -------------------------------------------------------------------------------------


@record
class Table:
    name: str
    partition_key: str = "pk"
    sort_key: str | None = "sk"
    ttl_attribute: str | None = None
    # GSI name -> (partition key, sort key or None)
    indexes: tuple[tuple[str, str, str | None], ...] = ()
    # GSI name -> the non-key attributes it copies (INCLUDE); an index not named here holds keys only
    index_attributes: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def projected(self, index: str) -> tuple[str, ...]:
        return next((attrs for name, attrs in self.index_attributes if name == index), ())

    @property
    def env(self) -> str:
        return f"TABLE_{self.name.upper()}"


@record
class Queue:
    name: str
    visibility_timeout_s: int = 60
    # receives before a message moves to the queue's dead-letter queue
    max_receive_count: int = 3

    @property
    def env(self) -> str:
        return f"QUEUE_{self.name.upper()}_URL"

    @property
    def dlq_name(self) -> str:
        return f"{self.name}-dlq"


@record
class Topic:
    """An SNS topic that fans messages out to subscribers' own queues. Each message carries the
    `filter_attribute` message attribute, so a subscription's filter policy takes only its share
    (SQS itself cannot filter a queue's messages on an attribute)."""

    name: str
    filter_attribute: str

    @property
    def env(self) -> str:
        return f"TOPIC_{self.name.upper()}_ARN"


@record
class Bucket:
    name: str

    @property
    def env(self) -> str:
        return f"BUCKET_{self.name.upper()}"


@record
class Secret:
    name: str
    description: str

    @property
    def env(self) -> str:
        return f"SECRET_{self.name.upper()}_NAME"


@record
class EmailTemplate:
    """An SES template; its files live in shared/email/templates/<name>.{subject.txt,html,txt}."""

    name: str

    @property
    def env(self) -> str:
        return f"EMAIL_TEMPLATE_{self.name.upper()}"


@record
class StateMachine:
    name: str
    # statemachines/<definition>; ${Placeholders} in it are substituted with function ARNs
    definition: str
    # Express: billed by duration, not by transition; at most 5 minutes, no task tokens, and no
    # execution history API (its steps are read from its log group)
    express: bool = False

    @property
    def env(self) -> str:
        return f"STATE_MACHINE_{self.name.upper()}_ARN"

    @property
    def log_group_env(self) -> str:
        return f"STATE_MACHINE_{self.name.upper()}_LOG_GROUP"

    @property
    def definition_path(self) -> str:
        return f"statemachines/{self.definition}"


# --- triggers --------------------------------------------------------------------------------------


@record
class Route:
    method: str
    path: str
    # principal kinds allowed; the authorizer resolves the key, the handler enforces the kind
    kinds: tuple[Kind, ...] = ()
    authorized: bool = True
    # query parameters the route accepts; any other is refused (422) rather than silently ignored
    query: tuple[str, ...] = ()


@record
class QueueTrigger:
    queue: Queue
    batch_size: int = 10


@record
class TaskTrigger:
    """The function is a Lambda task of a state machine, referenced in its ASL as ${placeholder}."""

    state_machine: StateMachine
    placeholder: str


@record
class ScheduleTrigger:
    name: str
    expression: str


@record
class AuthorizerTrigger:
    """The function is the REST API's Lambda request authorizer. API Gateway reuses its answer for
    `cache_ttl_s` per Authorization header, for every route: a revoked key works up to that long."""

    cache_ttl_s: int = 300


@record
class StreamTrigger:
    """The function reads a table's DynamoDB stream (new and old images), reporting failed records."""

    table: Table
    batch_size: int = 100


Trigger = Route | QueueTrigger | TaskTrigger | ScheduleTrigger | AuthorizerTrigger | StreamTrigger


# --- grants ----------------------------------------------------------------------------------------


@record
class TableGrant:
    table: Table
    access: Access


@record
class QueueSend:
    queue: Queue


@record
class TopicPublish:
    topic: Topic


@record
class BucketGrant:
    bucket: Bucket
    access: Access


@record
class SecretRead:
    secret: Secret


@record
class StartExecution:
    """May start the state machine's executions and describe them (is one still running?)."""

    state_machine: StateMachine


@record
class StopExecutions:
    """May stop the state machine's executions (by the ARNs recorded on the order) and describe them.
    Granted by the machine's name: a task of the machine may hold it without a dependency cycle."""

    state_machine: StateMachine


@record
class TaskCallback:
    """May answer the state machine's task tokens (SendTaskSuccess/Failure/Heartbeat)."""

    state_machine: StateMachine


@record
class ReadExecutions:
    """May read the state machine's executions and their history (DescribeExecution, GetExecutionHistory;
    for an Express machine, its log group)."""

    state_machine: StateMachine


@record
class DeadLetterRedrive:
    """May read the queue's dead-letter queue and move its messages back to the queue."""

    queue: Queue

    @property
    def env(self) -> str:
        return f"DLQ_{self.queue.name.upper()}_URL"


@record
class DeadLetterRead:
    """May count and peek at the queue's dead-letter queue (never take or move a message)."""

    queue: Queue

    @property
    def env(self) -> str:
        return f"DLQ_{self.queue.name.upper()}_URL"


@record
class DeadLetterSend:
    """May put the queue's messages on its dead-letter queue (a consumer giving one up, with the reason)."""

    queue: Queue

    @property
    def env(self) -> str:
        return f"DLQ_{self.queue.name.upper()}_URL"


@record
class SendEmail:
    templates: tuple[EmailTemplate, ...]


@record
class FactStore:
    """Analytics facts: a Firehose delivery stream into `bucket` under `prefix` (hourly folders), the
    Glue table over them and the Athena workgroup that runs the reports."""

    name: str
    bucket: Bucket
    prefix: str = "facts/"


@record
class FactsPut:
    """May put fact records on the store's delivery stream."""

    store: FactStore

    @property
    def env(self) -> str:
        return "FACTS_STREAM_NAME"


@record
class FactsQuery:
    """May run the store's reports: Athena in its workgroup, the Glue table, the facts in S3."""

    store: FactStore

    @property
    def envs(self) -> tuple[str, str]:
        return ("ANALYTICS_WORKGROUP", "ANALYTICS_DATABASE")


Grant = (
    TableGrant
    | QueueSend
    | TopicPublish
    | BucketGrant
    | SecretRead
    | StartExecution
    | TaskCallback
    | StopExecutions
    | SendEmail
    | FactsPut
    | FactsQuery
    | ReadExecutions
    | DeadLetterRedrive
    | DeadLetterRead
    | DeadLetterSend
)


@record
class Function:
    name: str
    handler: str  # dotted path "functions.<name>.handler.handler", the same in Lambda and locally
    description: str
    triggers: tuple[Trigger, ...]
    grants: tuple[Grant, ...] = ()
    memory_mb: int = 512
    timeout_s: int = 29
    # extra environment beyond the resource names derived from the grants
    environment: dict[str, str] = field(default_factory=dict)
    # draws label PDFs: in AWS it also gets the layer with the PDF stack (fpdf2, Pillow, fontTools)
    draws_labels: bool = False

    @property
    def routes(self) -> tuple[Route, ...]:
        return tuple(t for t in self.triggers if isinstance(t, Route))


def resource_environment(fn: Function) -> dict[str, str]:
    """Names of the resources a function may touch, keyed by environment variable, as logical names.

    The CDK stack and the local stack map each logical name to the physical name they created.
    """
    env: dict[str, str] = {}
    for grant in fn.grants:
        match grant:
            case TableGrant(table=t):
                env[t.env] = t.name
            case QueueSend(queue=q):
                env[q.env] = q.name
            case TopicPublish(topic=topic):
                env[topic.env] = topic.name
            case BucketGrant(bucket=b):
                env[b.env] = b.name
            case SecretRead(secret=s):
                env[s.env] = s.name
            case StartExecution(state_machine=sm):
                env[sm.env] = sm.name
            case SendEmail(templates=templates):
                env.update({t.env: t.name for t in templates})
            case TaskCallback() | StopExecutions():
                pass  # the token, or the ARN recorded on the order, names the execution
            case FactsPut(store=store):
                env[grant.env] = store.name
            case FactsQuery(store=store):
                env.update(dict.fromkeys(grant.envs, store.name))
            case ReadExecutions(state_machine=sm):
                env[sm.env] = sm.name
                if sm.express:
                    env[sm.log_group_env] = sm.name
            case DeadLetterRedrive(queue=q):
                env[q.env] = q.name
                env[grant.env] = q.name
            case DeadLetterSend(queue=q) | DeadLetterRead(queue=q):
                env[grant.env] = q.name
    return env

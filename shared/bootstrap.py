"""The composition root: what one function needs, built from its topology entry.

`Wiring("buy_label")` reads the function's environment once (at import, in Lambda: cold start),
checks it holds every name the topology gives the function, and hands out the function's
adapters, each built on first use and then kept for the life of the execution environment.
Asking for a table, queue, bucket, secret, state machine, template or setting the function was
not granted raises NotGranted, so a missing grant fails at import, in tests and on the embedded
stack alike, instead of with AccessDenied in AWS.

Adapters are imported inside their getters: a function pays the import cost of what it uses only.
The embedded stack runs every function in one process; it hands each one its own environment
with `function_environment(...)` while the function's module is loaded.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar, cast

from annotated_types import Ge, Interval

from shared import topology as t
from shared.logging import masked_logger

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger

    from shared.adapters.cached_nodes import CachedNodes
    from shared.adapters.dynamodb_inventory import DynamoDBInventory
    from shared.adapters.dynamodb_keys import DynamoDBKeys
    from shared.adapters.dynamodb_ledger import DynamoDBLedger
    from shared.adapters.dynamodb_nodes import DynamoDBNodes, DynamoDBPolicies
    from shared.adapters.dynamodb_order_search import DynamoDBOrderSearch
    from shared.adapters.dynamodb_orders import DynamoDBOrders
    from shared.adapters.dynamodb_payment_claims import DynamoDBPaymentClaims
    from shared.adapters.dynamodb_reconciliations import DynamoDBReconciliations
    from shared.adapters.firehose_facts import FirehoseFacts
    from shared.adapters.s3_documents import S3Documents
    from shared.adapters.s3_reports import S3Reports
    from shared.adapters.sandbox_carrier import SandboxCarrier
    from shared.adapters.ses_mailer import SesMailer
    from shared.adapters.sfn_history import StepFunctionsHistory
    from shared.adapters.sfn_signals import StepFunctionsSignals
    from shared.adapters.sfn_workflow import StepFunctionsStopper, StepFunctionsWorkflow
    from shared.adapters.sns_fulfilment import SnsFulfilmentRequests
    from shared.adapters.sqs_dead_letter_sink import SqsDeadLetterSink
    from shared.adapters.sqs_dead_letters import SqsDeadLetters
    from shared.adapters.sqs_restock import SqsRestock
    from shared.adapters.stripe_payments import StripePayments
    from shared.adapters.stripe_refunds import StripeRefunds
    from shared.adapters.system import SystemClock
    from shared.exactly_once import Once, OnceConfig
    from shared.ports import ReportEngine

V = TypeVar("V")

# Types for `Wiring.setting` (annotated_types: pydantic reads them, and they load without it).
Seconds = Annotated[int, Ge(1)]
Rate = Annotated[float, Interval(ge=0.0, le=1.0)]

# Set only by the embedded stack, where localstripe stands in for api.stripe.com.
STRIPE_API_BASE_ENV = "STRIPE_API_BASE"
# Set only by the embedded stack: localstripe rejects the `created` filter on listing refunds.
STRIPE_NO_CREATED_FILTER_ENV = "STRIPE_NO_CREATED_FILTER"

_environment: ContextVar[Mapping[str, str] | None] = ContextVar("waybill_function_environment", default=None)


@contextlib.contextmanager
def function_environment(env: Mapping[str, str]) -> Iterator[None]:
    """The environment a Wiring built inside this block reads (instead of os.environ)."""
    token = _environment.set(dict(env))
    try:
        yield
    finally:
        _environment.reset(token)


class _FirstUse:
    """Stands in for an adapter until the first attribute is read, then delegates to it."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._adapter: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._adapter is None:
            self._adapter = self._build()
        return getattr(self._adapter, name)


class NotGranted(LookupError):
    """The function asked for something its topology entry does not give it."""


class MissingEnvironment(LookupError):
    """The topology gives the function a name its environment does not carry."""


def declared_environment(fn: t.Function) -> frozenset[str]:
    """Every variable the stacks set for the function, beyond the common ones."""
    names = {*t.resource_environment(fn), *fn.environment}
    if any(isinstance(g, t.SendEmail) for g in fn.grants):
        names.add(t.EMAIL_FROM_ENV)
    if fn.routes:
        names.add(t.BROWSER_ORIGIN_ENV)
    return frozenset(names)


class Wiring:
    """One function's resources and adapters, from its topology entry."""

    def __init__(self, name: str, environ: Mapping[str, str] | None = None) -> None:
        self.function = t.function(name)
        given = _environment.get() if environ is None else environ
        source = os.environ if given is None else given
        self._env = dict(source)
        missing = sorted(declared_environment(self.function) - set(self._env))
        if missing:
            raise MissingEnvironment(f"{name}: the environment lacks {', '.join(missing)}")
        self._built: dict[object, Any] = {}

    # --- names, checked against the grants ----------------------------------------------------------

    def _granted(self, what: str, match: Callable[[t.Grant], bool]) -> None:
        if not any(match(g) for g in self.function.grants):
            raise NotGranted(f"{self.function.name} is not granted {what} (see shared/topology.py)")

    def table(self, table: t.Table) -> str:
        self._granted(f"table {table.name}", lambda g: isinstance(g, t.TableGrant) and g.table == table)
        return self._env[table.env]

    def queue_url(self, queue: t.Queue) -> str:
        self._granted(f"sending to queue {queue.name}", lambda g: isinstance(g, t.QueueSend) and g.queue == queue)
        return self._env[queue.env]

    def topic_arn(self, topic: t.Topic) -> str:
        self._granted(f"publishing to topic {topic.name}", lambda g: g == t.TopicPublish(topic))
        return self._env[topic.env]

    def bucket(self, bucket: t.Bucket) -> str:
        self._granted(f"bucket {bucket.name}", lambda g: isinstance(g, t.BucketGrant) and g.bucket == bucket)
        return self._env[bucket.env]

    def secret(self, secret: t.Secret) -> str:
        self._granted(f"secret {secret.name}", lambda g: isinstance(g, t.SecretRead) and g.secret == secret)
        return self._env[secret.env]

    def browser_origin(self) -> str:
        """The console's origin: the one a browser may call this function's routes from."""
        return self._env[t.BROWSER_ORIGIN_ENV]

    def state_machine_arn(self, machine: t.StateMachine) -> str:
        self._granted(
            f"starting state machine {machine.name}",
            lambda g: isinstance(g, t.StartExecution) and g.state_machine == machine,
        )
        return self._env[machine.env]

    def template(self, template: t.EmailTemplate) -> str:
        self._granted(
            f"email template {template.name}", lambda g: isinstance(g, t.SendEmail) and template in g.templates
        )
        return self._env[template.env]

    def setting(self, name: str, kind: Any = str) -> Any:
        """A value of the function's own `environment` in the topology, validated as `kind`."""
        if name not in self.function.environment:
            raise NotGranted(f"{self.function.name} has no setting {name} (see shared/topology.py)")
        # imported here: pydantic is ~0.1 s of a cold start, and most functions read no setting
        from pydantic import TypeAdapter

        return TypeAdapter(kind).validate_python(self._env[name])

    def _once(self, key: object, build: Callable[[], V]) -> V:
        if key not in self._built:
            self._built[key] = build()
        value: V = self._built[key]
        return value

    # --- clients and adapters, built once per execution environment ---------------------------------

    def client(self, service: str) -> Any:
        from shared.aws import client

        return self._once(("client", service), lambda: client(service))

    @cached_property
    def logger(self) -> Logger:
        return masked_logger()

    @cached_property
    def clock(self) -> SystemClock:
        from shared.adapters.system import SystemClock

        return SystemClock()

    def orders(self) -> DynamoDBOrders:
        from shared.adapters.dynamodb_orders import DynamoDBOrders

        table = self.table(t.ORDERS)
        return self._once("orders", lambda: DynamoDBOrders(self.client("dynamodb"), table))

    def order_search(self) -> DynamoDBOrderSearch:
        from shared.adapters.dynamodb_order_search import DynamoDBOrderSearch

        table = self.table(t.ORDERS)
        return self._once("order_search", lambda: DynamoDBOrderSearch(self.client("dynamodb"), table))

    def inventory(self, *, on_first_use: bool = False) -> DynamoDBInventory:
        """`on_first_use`: the adapter (and its module) is built by the first call made through it, for
        a function whose stock is touched by a few of its requests only (the grant is checked now)."""
        table = self.table(t.INVENTORY)

        def build() -> DynamoDBInventory:
            from shared.adapters.dynamodb_inventory import DynamoDBInventory

            return self._once("inventory", lambda: DynamoDBInventory(self.client("dynamodb"), table))

        return cast("DynamoDBInventory", _FirstUse(build)) if on_first_use else build()

    def nodes(self) -> DynamoDBNodes:
        from shared.adapters.dynamodb_nodes import DynamoDBNodes

        table = self.table(t.INVENTORY)
        return self._once("nodes", lambda: DynamoDBNodes(self.client("dynamodb"), table))

    def node_directory(self) -> CachedNodes:
        """The nodes as routing reads them: cached for this environment (see cached_nodes.TTL_S)."""
        from shared.adapters.cached_nodes import CachedNodes

        return self._once("node_directory", lambda: CachedNodes(self.nodes()))

    def policies(self) -> DynamoDBPolicies:
        from shared.adapters.dynamodb_nodes import DynamoDBPolicies

        table = self.table(t.INVENTORY)
        return self._once("policies", lambda: DynamoDBPolicies(self.client("dynamodb"), table))

    def payment_claims(self) -> DynamoDBPaymentClaims:
        from shared.adapters.dynamodb_payment_claims import DynamoDBPaymentClaims

        table = self.table(t.ORDERS)
        return self._once("payment_claims", lambda: DynamoDBPaymentClaims(self.client("dynamodb"), table))

    def ledger(self) -> DynamoDBLedger:
        from shared.adapters.dynamodb_ledger import DynamoDBLedger

        table = self.table(t.LEDGER)
        return self._once("ledger", lambda: DynamoDBLedger(self.client("dynamodb"), table))

    def reconciliations(self) -> DynamoDBReconciliations:
        from shared.adapters.dynamodb_reconciliations import DynamoDBReconciliations

        table = self.table(t.RECONCILIATIONS)
        return self._once("reconciliations", lambda: DynamoDBReconciliations(self.client("dynamodb"), table))

    def keys(self) -> DynamoDBKeys:
        from shared.adapters.dynamodb_keys import DynamoDBKeys

        table = self.table(t.API_KEYS)
        return self._once("keys", lambda: DynamoDBKeys(self.client("dynamodb"), table))

    def workflow(self, machine: t.StateMachine) -> StepFunctionsWorkflow:
        from shared.adapters.sfn_workflow import StepFunctionsWorkflow

        arn = self.state_machine_arn(machine)
        return self._once(
            ("workflow", machine),
            lambda: StepFunctionsWorkflow(self.client("stepfunctions"), arn, express=machine.express),
        )

    def stopper(self, machine: t.StateMachine) -> StepFunctionsStopper:
        """Stops the machine's executions by the ARNs recorded on orders (StopExecutions)."""
        from shared.adapters.sfn_workflow import StepFunctionsStopper

        self._granted(
            f"stopping executions of {machine.name}",
            lambda g: isinstance(g, t.StopExecutions) and g.state_machine == machine,
        )
        return self._once(
            ("stopper", machine), lambda: StepFunctionsStopper(self.client("stepfunctions"), "OrderFailed")
        )

    def signals(self, machine: t.StateMachine | None = None) -> StepFunctionsSignals:
        """Answers task tokens; `machine` narrows the check to one state machine's tokens."""
        from shared.adapters.sfn_signals import StepFunctionsSignals

        self._granted(
            "answering task tokens",
            lambda g: isinstance(g, t.TaskCallback) and machine in (None, g.state_machine),
        )
        return self._once("signals", lambda: StepFunctionsSignals(self.client("stepfunctions")))

    def execution_history(self) -> StepFunctionsHistory:
        """Reads the executions of every state machine the function may read (ReadExecutions)."""
        from shared.adapters.sfn_history import StepFunctionsHistory

        machines = {
            g.state_machine.name: self._env[g.state_machine.env]
            for g in self.function.grants
            if isinstance(g, t.ReadExecutions)
        }
        if not machines:
            raise NotGranted(f"{self.function.name} is not granted reading executions (see shared/topology.py)")
        log_groups = {
            g.state_machine.name: self._env[g.state_machine.log_group_env]
            for g in self.function.grants
            if isinstance(g, t.ReadExecutions) and g.state_machine.express
        }
        return self._once(
            "history",
            lambda: StepFunctionsHistory(
                self.client("stepfunctions"),
                machines,
                logs=self.client("logs") if log_groups else None,
                log_groups=log_groups,
            ),
        )

    def dead_letters(self) -> SqsDeadLetters:
        """The dead-letter queues of every queue the function may redrive (DeadLetterRedrive) or read
        (DeadLetterRead: its policy allows no redrive)."""
        from shared.adapters.sqs_dead_letters import SqsDeadLetters

        urls = {
            g.queue.name: (self._env.get(g.queue.env, ""), self._env[g.env])
            for g in self.function.grants
            if isinstance(g, t.DeadLetterRedrive | t.DeadLetterRead)
        }
        if not urls:
            raise NotGranted(f"{self.function.name} is not granted any dead-letter queue (see shared/topology.py)")
        return self._once("dead_letters", lambda: SqsDeadLetters(self.client("sqs"), urls))

    def dead_letter_sink(self, queue: t.Queue) -> SqsDeadLetterSink:
        """Where the function's consumer of `queue` puts a message it gives up, with the reason."""
        from shared.adapters.sqs_dead_letter_sink import SqsDeadLetterSink

        grant = next((g for g in self.function.grants if isinstance(g, t.DeadLetterSend) and g.queue == queue), None)
        if grant is None:
            raise NotGranted(
                f"{self.function.name} is not granted dead-lettering {queue.name} (see shared/topology.py)"
            )
        url = self._env[grant.env]
        return self._once(("dead_letter_sink", queue), lambda: SqsDeadLetterSink(self.client("sqs"), url))

    def mailer(self) -> SesMailer:
        """From the shop (its name in From and in every email; COMMON_ENVIRONMENT's defaults)."""
        from shared.adapters.ses_mailer import SesMailer

        self._granted("sending email", lambda g: isinstance(g, t.SendEmail))
        sender, shop = self.sender, self._env.get(t.SHOP_NAME_ENV, "")
        return self._once("mailer", lambda: SesMailer(self.client("ses"), sender, shop))

    @property
    def sender(self) -> str:
        """The From of customer email: the address, with the shop's display name when one is set."""
        from email.utils import formataddr

        address, name = self._env[t.EMAIL_FROM_ENV], self._env.get(t.EMAIL_FROM_NAME_ENV, "")
        return formataddr((name, address)) if name else address

    def documents(self) -> S3Documents:
        from shared.adapters.s3_documents import S3Documents

        bucket = self.bucket(t.DOCUMENTS)
        return self._once("documents", lambda: S3Documents(self.client("s3"), bucket))

    def reports(self) -> S3Reports:
        from shared.adapters.s3_reports import S3Reports

        bucket = self.bucket(t.DOCUMENTS)
        return self._once("reports", lambda: S3Reports(self.client("s3"), bucket))

    def carrier(self, failure_rate: float = 0.0) -> SandboxCarrier:
        """The built-in sandbox carrier; a real carrier is another adapter behind shared.ports.Carrier."""
        from shared.adapters.sandbox_carrier import SandboxCarrier

        if not self.function.draws_labels:
            # in AWS only functions marked draws_labels get the layer with the PDF stack
            raise NotGranted(f"{self.function.name} draws labels but is not marked draws_labels (shared/topology.py)")
        bucket = self.bucket(t.DOCUMENTS)
        return self._once("carrier", lambda: SandboxCarrier(self.client("s3"), bucket, failure_rate=failure_rate))

    def fulfilment_requests(self) -> SnsFulfilmentRequests:
        """What nodes are sent, on the fulfilment topic: each node's integration takes only its own."""
        from shared.adapters.sns_fulfilment import SnsFulfilmentRequests

        topic = t.FULFILMENT_TOPIC
        arn = self.topic_arn(topic)
        return self._once(
            "fulfilment_requests", lambda: SnsFulfilmentRequests(self.client("sns"), arn, topic.filter_attribute)
        )

    def restock(self) -> SqsRestock:
        from shared.adapters.sqs_restock import SqsRestock

        url = self.queue_url(t.RESTOCK)
        return self._once("restock", lambda: SqsRestock(self.client("sqs"), url))

    def fact_sink(self, store: t.FactStore) -> FirehoseFacts:
        from shared.adapters.firehose_facts import FirehoseFacts

        put = t.FactsPut(store)
        self._granted(f"putting facts on {store.name}", lambda g: g == put)
        stream = self._env[put.env]
        return self._once(("facts", store), lambda: FirehoseFacts(self.client("firehose"), stream))

    def report_engine(self, store: t.FactStore) -> Callable[[], ReportEngine]:
        """A report engine per request: Athena in AWS; on the embedded stack DuckDB over the emulated
        S3, loaded with the facts stored so far (objects read on an earlier request are not read again)."""
        query = t.FactsQuery(store)
        self._granted(f"querying facts of {store.name}", lambda g: g == query)
        workgroup, database = (self._env[name] for name in query.envs)
        if self.setting(t.ANALYTICS_ENGINE_ENV, Literal["athena", "duckdb"]) == "duckdb":
            # imported here: duckdb is a development dependency, not in the Lambda layer
            from shared.adapters.duckdb_reports import DuckDBReports
            from shared.adapters.s3_facts import S3FactFiles

            files = S3FactFiles(self.client("s3"), self.bucket(store.bucket), store.prefix)

            def local() -> ReportEngine:
                engine = DuckDBReports()
                engine.load(files.rows())
                return engine

            return local
        from shared.adapters.athena_reports import AthenaReports

        athena = AthenaReports(self.client("athena"), workgroup, database)
        return lambda: athena

    # Stripe: the key is read per invocation through Powertools' cache (5 minutes per execution
    # environment: a warm function reads Secrets Manager once in that time, and a rotated key is
    # picked up without a redeploy). Each getter returns a factory for that reason. A key Stripe
    # refuses (rolled and expired before the cache did) is read afresh and the call made once more.

    def _stripe(self) -> Callable[[bool], Any]:
        from shared.adapters.stripe_payments import stripe_from_secret

        name, base = self.secret(t.STRIPE), self._env.get(STRIPE_API_BASE_ENV)
        return lambda fresh: stripe_from_secret(name, base, fresh=fresh)

    def payments(self) -> Callable[[], StripePayments]:
        from shared.adapters.stripe_payments import StripePayments

        stripe = self._stripe()
        return lambda: StripePayments(stripe(False), rekey=lambda: stripe(True))

    def stripe_refunds(self) -> Callable[[], StripeRefunds]:
        from shared.adapters.stripe_refunds import StripeRefunds

        stripe, filtered = self._stripe(), not self._env.get(STRIPE_NO_CREATED_FILTER_ENV)
        return lambda: StripeRefunds(stripe(False), created_filter=filtered, rekey=lambda: stripe(True))

    def webhook_secret(self) -> Callable[[], str]:
        from shared.aws import secret

        name = self.secret(t.STRIPE_WEBHOOK)
        # Cached 5 minutes, so a rolled signing secret is picked up without a redeploy. Not read
        # afresh when a signature fails: anyone can send a bad one, and each would cost a read.
        # For up to 5 minutes after a roll a warm environment may refuse deliveries signed with the
        # new secret only; Stripe retries a refused delivery for days, so none is lost (and an
        # old secret kept valid for a while when rolling refuses none).
        return lambda: secret(name)

    def once_per(self, key: str) -> tuple[Once, OnceConfig]:
        """Exactly once per task[key] (shared.exactly_once), recorded in the idempotency table."""
        from shared.exactly_once import once_per

        return once_per(self.table(t.IDEMPOTENCY), key, self.client("dynamodb"))

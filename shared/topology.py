"""The one declaration of Waybill's shape: functions, what triggers them and what they may touch.

Both the CDK stack (`infra/`) and the embedded local stack (`devstack/`) are built from this module,
and `tests/infra/test_topology_parity.py` fails when the two disagree. Pure data, no I/O.
"""

from __future__ import annotations

from shared.domain.principal import Kind
from shared.topology_types import (
    Access,
    AuthorizerTrigger,
    Bucket,
    BucketGrant,
    DeadLetterRead,
    DeadLetterRedrive,
    DeadLetterSend,
    EmailTemplate,
    FactsPut,
    FactsQuery,
    FactStore,
    Function,
    Grant,
    Queue,
    QueueSend,
    QueueTrigger,
    ReadExecutions,
    Route,
    ScheduleTrigger,
    Secret,
    SecretRead,
    SendEmail,
    StartExecution,
    StateMachine,
    StopExecutions,
    StreamTrigger,
    Table,
    TableGrant,
    TaskCallback,
    TaskTrigger,
    Topic,
    TopicPublish,
    Trigger,
    resource_environment,
)

# The types a declaration is written in, importable from here as well.
__all__ = [
    "Access",
    "AuthorizerTrigger",
    "Bucket",
    "BucketGrant",
    "DeadLetterRead",
    "DeadLetterRedrive",
    "DeadLetterSend",
    "EmailTemplate",
    "FactStore",
    "FactsPut",
    "FactsQuery",
    "Function",
    "Grant",
    "Kind",
    "Queue",
    "QueueSend",
    "QueueTrigger",
    "ReadExecutions",
    "Route",
    "ScheduleTrigger",
    "Secret",
    "SecretRead",
    "SendEmail",
    "StartExecution",
    "StateMachine",
    "StopExecutions",
    "StreamTrigger",
    "Table",
    "TableGrant",
    "TaskCallback",
    "TaskTrigger",
    "Topic",
    "TopicPublish",
    "Trigger",
    "resource_environment",
]

# The shop customers bought from, named in every email, and the From display name; each stack may
# override these defaults (CDK context shopName / senderName, WAYBILL_SHOP_NAME locally).
SHOP_NAME_ENV, EMAIL_FROM_NAME_ENV = "SHOP_NAME", "EMAIL_FROM_NAME"
SHOP_ENVIRONMENT = {SHOP_NAME_ENV: "Waybill Demo Shop", EMAIL_FROM_NAME_ENV: "Waybill Demo Shop"}
# Environment every function gets, in AWS and locally (deployment-specific values are added by each stack).
COMMON_ENVIRONMENT = {
    **SHOP_ENVIRONMENT,
    "POWERTOOLS_SERVICE_NAME": "waybill",
    "POWERTOOLS_METRICS_NAMESPACE": "Waybill",
    "POWERTOOLS_LOG_LEVEL": "INFO",
}
# Set by each stack: the sender address of customer email.
EMAIL_FROM_ENV = "EMAIL_FROM"
# Set by each stack: the one web origin (the console's) whose browsers may call the API (CORS).
BROWSER_ORIGIN_ENV = "BROWSER_ORIGIN"

# --- Waybill ---------------------------------------------------------------------------------------

# Order search (shared/usecases/search_orders.py, docs/operations.md): every index sorts by creation
# time; by_kind files each order under its item's sort key (ORDER) and one entry per SKU and node.
ORDERS = Table(
    "orders",
    indexes=(
        ("by_kind", "sk", "created_at"),
        ("by_status", "status", "created_at"),
        ("by_channel", "channel", "created_at"),
        ("by_channel_status", "channel_status", "created_at"),
        # sparse: only orders with an open exception, by the type of their oldest (the exception queue)
        ("exceptions", "queue_type", "queue_at"),
    ),
    # the queue's counts honour its channel and node filters without reading the orders
    index_attributes=(("exceptions", ("channel", "queue_nodes")),),
)
API_KEYS = Table("api_keys", sort_key=None)
IDEMPOTENCY = Table("idempotency", partition_key="id", sort_key=None, ttl_attribute="expiration")
LEDGER = Table("ledger")
INVENTORY = Table("inventory")
# Past reconciliations, one item each (pk RECONCILIATION, sk "<ran_at>#<id>"): listed newest first.
# Apart from the ledger so that finance keeps the ledger read-only and its stream carries refunds only.
RECONCILIATIONS = Table("reconciliations")

INTAKE = Queue("intake", visibility_timeout_s=60, max_receive_count=3)
# stock arrived for these skus: re-evaluate their backorders
RESTOCK = Queue("restock", visibility_timeout_s=120, max_receive_count=5)
# what the nodes' warehouse systems are sent (fulfilment requests, cancellations, re-pack requests,
# labels): each integration subscribes its own queue with the filter policy {"node_id": ["<its node>"]}
FULFILMENT_TOPIC = Topic("fulfilment", filter_attribute="node_id")
# what warehouses and carriers report back: the same events as POST /v1/fulfillment-events
EVENTS = Queue("events", visibility_timeout_s=60, max_receive_count=4)

DOCUMENTS = Bucket("documents")
STRIPE = Secret("stripe", "Stripe secret API key used to check payments and refund")
STRIPE_WEBHOOK = Secret("stripe_webhook", "Stripe webhook signing secret (whsec_...) for refund events")

CONFIRMATION = EmailTemplate("order_confirmation")
SHIPPED = EmailTemplate("order_shipped")
READY_FOR_PICKUP = EmailTemplate("order_ready_for_pickup")
DELIVERED = EmailTemplate("order_delivered")
REFUND_ISSUED = EmailTemplate("refund_issued")
CANCELLED = EmailTemplate("order_cancelled")
RETURN_OPENED = EmailTemplate("return_opened")
DELIVERY_EXCEPTION = EmailTemplate("delivery_exception")

# Each run of an order (its capture, a retry, a release from hold, a restock) is a preparation:
# payment, confirmation, reservation and release, synchronous, so Express (billed by duration, not
# by transition). It starts one fulfilment per shipment it releases: a Standard execution that waits
# on the node, buys the label, hands over and waits for delivery (3 transitions a shipment).
PREPARATION = StateMachine("preparation", "preparation.asl.json", express=True)
FULFILMENT = StateMachine("fulfilment", "fulfilment.asl.json")
# one refund: paid through Stripe once, settled, the customer told
REFUNDS = StateMachine("refunds", "refunds.asl.json")
# one return: a label, the wait for the parcel, restock and refund
RETURNS = StateMachine("returns", "returns.asl.json")

TABLES = (ORDERS, API_KEYS, IDEMPOTENCY, LEDGER, INVENTORY, RECONCILIATIONS)
QUEUES = (INTAKE, RESTOCK, EVENTS)
TOPICS = (FULFILMENT_TOPIC,)
BUCKETS: tuple[Bucket, ...] = (DOCUMENTS,)
SECRETS = (STRIPE, STRIPE_WEBHOOK)
EMAIL_TEMPLATES = (
    CONFIRMATION,
    SHIPPED,
    READY_FOR_PICKUP,
    DELIVERED,
    REFUND_ISSUED,
    CANCELLED,
    RETURN_OPENED,
    DELIVERY_EXCEPTION,
)
STATE_MACHINES = (PREPARATION, FULFILMENT, REFUNDS, RETURNS)

_ORDERS_RW = TableGrant(ORDERS, Access.READ_WRITE)
_INVENTORY_RW = TableGrant(INVENTORY, Access.READ_WRITE)
_ALL_BUT_KEYS = (Kind.CHANNEL, Kind.OPS, Kind.FINANCE)
_SHIPMENT_READERS = (Kind.WAREHOUSE, Kind.OPS, Kind.ADMIN)
_IDEMPOTENCY_RW = TableGrant(IDEMPOTENCY, Access.READ_WRITE)
_LEDGER_RW = TableGrant(LEDGER, Access.READ_WRITE)
_ANSWER_TASKS = TaskCallback(FULFILMENT)
_STOP_SHIPMENTS = StopExecutions(FULFILMENT)
_ANSWER_RETURNS = TaskCallback(RETURNS)
_TELL_NODES = TopicPublish(FULFILMENT_TOPIC)
# How long a node may stay silent (heartbeat) and take in all (timeout) before the order fails;
# how long a parcel may take to arrive, or a pickup order to be collected. The embedded stack shortens them for tests.
FULFILMENT_TIMEOUTS = {
    "FULFILMENT_HEARTBEAT_S": str(6 * 3600),
    "FULFILMENT_TIMEOUT_S": str(3 * 24 * 3600),
    "DELIVERY_TIMEOUT_S": str(30 * 24 * 3600),
    # how long a pickup order waits at the store before it becomes a pickup_not_collected exception
    "PICKUP_TIMEOUT_S": str(7 * 24 * 3600),
}

# GET /v1/orders: search filters and pages, and the lookup by a channel's own id
SEARCH_QUERY = (
    "status",
    "channel",
    "created_from",
    "created_to",
    "sku",
    "node_id",
    "limit",
    "cursor",
    "external_id",
)

FUNCTIONS: tuple[Function, ...] = (
    Function(
        name="authorizer",
        handler="functions.authorizer.handler.handler",
        description="Resolves a bearer API key to its principal (kind, name, nodes)",
        triggers=(AuthorizerTrigger(),),
        grants=(TableGrant(API_KEYS, Access.READ),),
        memory_mb=256,
        timeout_s=10,
    ),
    Function(
        name="orders_api",
        handler="functions.orders_api.handler.handler",
        description="HTTP API v1: order capture and reads, and the OpenAPI document",
        triggers=(
            Route("POST", "/v1/orders", (Kind.CHANNEL,)),
            Route("GET", "/v1/orders", _ALL_BUT_KEYS, query=SEARCH_QUERY),
            Route("GET", "/v1/orders/{order_id}", _ALL_BUT_KEYS),
            Route("GET", "/v1/openapi.json", authorized=False),
            Route("POST", "/v1/orders/{order_id}/cancel", (Kind.CHANNEL, Kind.OPS)),
            Route("POST", "/v1/orders/{order_id}/returns", (Kind.CHANNEL, Kind.OPS)),
            # a warehouse reads the shipments of its own nodes: the label, its documents
            Route("GET", "/v1/shipments/{shipment_id}", _SHIPMENT_READERS),
            Route("GET", "/v1/shipments/{shipment_id}/documents/{document}", _SHIPMENT_READERS),
        ),
        grants=(
            _ORDERS_RW,
            StartExecution(PREPARATION),
            _STOP_SHIPMENTS,
            BucketGrant(DOCUMENTS, Access.READ),
            _INVENTORY_RW,
            _LEDGER_RW,
            StartExecution(REFUNDS),
            StartExecution(RETURNS),
            _ANSWER_TASKS,
            _TELL_NODES,
            _IDEMPOTENCY_RW,
            SendEmail((CANCELLED,)),
        ),
    ),
    Function(
        name="intake",
        handler="functions.intake.handler.handler",
        description="Captures orders that batch channels put on the intake queue",
        triggers=(QueueTrigger(INTAKE, batch_size=10),),
        grants=(_ORDERS_RW, StartExecution(PREPARATION), DeadLetterSend(INTAKE)),
        timeout_s=50,
    ),
    Function(
        name="check_payment",
        handler="functions.check_payment.handler.handler",
        description="Preparation step: checks the order's Stripe PaymentIntent covers the order",
        triggers=(TaskTrigger(PREPARATION, "CheckPaymentFunctionArn"),),
        grants=(_ORDERS_RW, SecretRead(STRIPE)),
    ),
    Function(
        name="send_confirmation",
        handler="functions.send_confirmation.handler.handler",
        description="Preparation step: emails the customer the order confirmation, exactly once",
        triggers=(TaskTrigger(PREPARATION, "SendConfirmationFunctionArn"),),
        grants=(_ORDERS_RW, TableGrant(IDEMPOTENCY, Access.READ_WRITE), SendEmail((CONFIRMATION,))),
    ),
    Function(
        name="reserve_order",
        handler="functions.reserve_order.handler.handler",
        description="Preparation step: routes and reserves the order, releases it, starts a fulfilment per shipment",
        triggers=(TaskTrigger(PREPARATION, "ReserveOrderFunctionArn"),),
        grants=(_ORDERS_RW, _INVENTORY_RW, StartExecution(FULFILMENT)),
        environment=FULFILMENT_TIMEOUTS,
    ),
    Function(
        name="record_exception",
        handler="functions.record_exception.handler.handler",
        description="Compensation: a failed fulfilment or return step leaves a typed exception on the order",
        triggers=(
            TaskTrigger(PREPARATION, "RecordExceptionFunctionArn"),
            TaskTrigger(FULFILMENT, "RecordExceptionFunctionArn"),
            TaskTrigger(RETURNS, "RecordExceptionFunctionArn"),
        ),
        # a failed shipment fails the order: the other shipments' executions are stopped
        grants=(_ORDERS_RW, _INVENTORY_RW, _TELL_NODES, _STOP_SHIPMENTS),
    ),
    Function(
        name="inventory_api",
        handler="functions.inventory_api.handler.handler",
        description="HTTP API v1: nodes, stock adjustments, availability, reorder suggestions, routing policies",
        triggers=(
            Route("PUT", "/v1/nodes/{node_id}", (Kind.ADMIN,)),
            Route("GET", "/v1/nodes", (Kind.OPS, Kind.ADMIN), query=("limit", "cursor")),
            Route("POST", "/v1/inventory/adjustments", (Kind.WAREHOUSE, Kind.ADMIN)),
            Route("GET", "/v1/inventory/adjustments", (Kind.WAREHOUSE, Kind.OPS, Kind.ADMIN), query=("reference",)),
            Route("GET", "/v1/inventory/{sku}", (Kind.CHANNEL, Kind.OPS, Kind.ADMIN)),
            Route("PUT", "/v1/inventory/{sku}", (Kind.ADMIN,)),
            Route("GET", "/v1/reorder-suggestions", (Kind.OPS, Kind.ADMIN), query=("limit", "cursor")),
            Route("PUT", "/v1/policies/{channel}", (Kind.ADMIN,)),
            Route("GET", "/v1/policies/{channel}", (Kind.OPS, Kind.ADMIN)),
        ),
        grants=(_INVENTORY_RW, QueueSend(RESTOCK)),
    ),
    Function(
        name="allocate_backorders",
        handler="functions.allocate_backorders.handler.handler",
        description="Offers arrived stock to backordered orders by channel priority, then age",
        triggers=(QueueTrigger(RESTOCK, batch_size=1),),
        grants=(_ORDERS_RW, _INVENTORY_RW, StartExecution(PREPARATION)),
        timeout_s=120,
    ),
)


# Fulfilment after reservation: requests to nodes, labels, hand-over and delivery, and the nodes' events.
FUNCTIONS += (
    Function(
        name="request_fulfilment",
        handler="functions.request_fulfilment.handler.handler",
        description="Fulfilment step: sends a node its fulfilment request (pick list, packing slip, task token)",
        triggers=(TaskTrigger(FULFILMENT, "RequestFulfilmentFunctionArn"),),
        grants=(_ORDERS_RW, _TELL_NODES, BucketGrant(DOCUMENTS, Access.READ_WRITE), _ANSWER_TASKS),
    ),
    Function(
        name="reroute_shipment",
        handler="functions.reroute_shipment.handler.handler",
        description="Fulfilment step: moves a rejected shipment's lines to another node",
        triggers=(TaskTrigger(FULFILMENT, "RerouteShipmentFunctionArn"),),
        grants=(_ORDERS_RW, _INVENTORY_RW),
    ),
    Function(
        name="buy_label",
        handler="functions.buy_label.handler.handler",
        description="Fulfilment step: buys the cheapest label meeting the service level and sends it to the node",
        triggers=(TaskTrigger(FULFILMENT, "BuyLabelFunctionArn"),),
        grants=(
            _ORDERS_RW,
            TableGrant(INVENTORY, Access.READ),
            BucketGrant(DOCUMENTS, Access.READ_WRITE),
            _TELL_NODES,
            _IDEMPOTENCY_RW,
        ),
        environment={"CARRIER_SANDBOX_FAILURE_RATE": "0"},
        draws_labels=True,
    ),
    Function(
        name="hand_over",
        handler="functions.hand_over.handler.handler",
        description="Fulfilment step: the parcel ships (or waits for pickup), customer told once; waits for delivery",
        triggers=(TaskTrigger(FULFILMENT, "HandOverFunctionArn"),),
        grants=(
            _ORDERS_RW,
            _INVENTORY_RW,
            _IDEMPOTENCY_RW,
            SendEmail((SHIPPED, READY_FOR_PICKUP, DELIVERED)),
            SecretRead(STRIPE),
            _ANSWER_TASKS,
        ),
    ),
    Function(
        name="fulfilment_events",
        handler="functions.fulfilment_events.handler.handler",
        description="Warehouse and carrier events, from the events queue and POST /v1/fulfillment-events",
        triggers=(
            Route("POST", "/v1/fulfillment-events", (Kind.WAREHOUSE, Kind.CARRIER, Kind.ADMIN)),
            QueueTrigger(EVENTS, batch_size=10),
        ),
        grants=(
            _ORDERS_RW,
            _ANSWER_TASKS,
            _ANSWER_RETURNS,
            _IDEMPOTENCY_RW,
            SendEmail((DELIVERY_EXCEPTION, DELIVERED)),
            DeadLetterSend(EVENTS),
        ),
    ),
)


# Finance: the refund ledger and reconciliation
_FINANCE_GRANTS = (TableGrant(LEDGER, Access.READ), BucketGrant(DOCUMENTS, Access.READ_WRITE), SecretRead(STRIPE))
FUNCTIONS += (
    Function(
        name="finance_api",
        handler="functions.finance_api.handler.handler",
        description="HTTP API v1: the refund ledger and reconciliations of the ledger against Stripe",
        triggers=(
            Route(
                "GET",
                "/v1/finance/refunds",
                (Kind.FINANCE, Kind.OPS),
                query=("status", "order_id", "since", "until", "limit", "cursor"),
            ),
            Route("POST", "/v1/finance/reconciliations", (Kind.FINANCE,)),
            Route("GET", "/v1/finance/reconciliations", (Kind.FINANCE,), query=("limit", "cursor")),
            Route("GET", "/v1/finance/reconciliations/{reconciliation_id}", (Kind.FINANCE,), query=("limit", "cursor")),
        ),
        grants=(*_FINANCE_GRANTS, TableGrant(RECONCILIATIONS, Access.READ_WRITE)),
    ),
    Function(
        name="reconcile",
        handler="functions.reconcile.handler.handler",
        description="Daily: reconciles the previous UTC day's refunds, ledger against Stripe, report to S3",
        triggers=(ScheduleTrigger("daily-reconciliation", "cron(30 2 * * ? *)"),),
        # it records each run; only the finance API lists them
        grants=(*_FINANCE_GRANTS, TableGrant(RECONCILIATIONS, Access.WRITE)),
        timeout_s=300,
    ),
)


# Refunds: paid once through Stripe, settled from its answer or its webhook.
FUNCTIONS += (
    Function(
        name="open_refund",
        handler="functions.open_refund.handler.handler",
        description="Refund step: opens the ledger entry a cancellation owes (captured amount from Stripe if need be)",
        triggers=(TaskTrigger(REFUNDS, "OpenRefundFunctionArn"),),
        grants=(_ORDERS_RW, _LEDGER_RW, SecretRead(STRIPE)),
    ),
    Function(
        name="pay_refund",
        handler="functions.pay_refund.handler.handler",
        description="Refund step: pays the ledger entry's refund through Stripe, once, and settles the entry",
        triggers=(TaskTrigger(REFUNDS, "PayRefundFunctionArn"),),
        grants=(_LEDGER_RW, SecretRead(STRIPE)),
    ),
    Function(
        name="refund_email",
        handler="functions.refund_email.handler.handler",
        description="Refund step: emails the customer the refund, exactly once",
        triggers=(TaskTrigger(REFUNDS, "RefundEmailFunctionArn"),),
        grants=(_ORDERS_RW, TableGrant(LEDGER, Access.READ), _IDEMPOTENCY_RW, SendEmail((REFUND_ISSUED,))),
    ),
    Function(
        name="record_refund_failure",
        handler="functions.record_refund_failure.handler.handler",
        description="Refund compensation: marks the ledger entry FAILED with the cause, for ops and finance",
        triggers=(TaskTrigger(REFUNDS, "RecordRefundFailureFunctionArn"),),
        grants=(_LEDGER_RW, SecretRead(STRIPE), _ORDERS_RW),
    ),
    Function(
        name="sweep_refunds",
        handler="functions.sweep_refunds.handler.handler",
        description="Hourly: refunds left PENDING or owed get a new refunds execution (which never pays twice)",
        triggers=(ScheduleTrigger("refund-sweep", "rate(1 hour)"),),
        grants=(_LEDGER_RW, StartExecution(REFUNDS)),
    ),
    Function(
        name="stripe_webhook",
        handler="functions.stripe_webhook.handler.handler",
        description="Stripe's refund events (signature checked): settles the ledger entries they name",
        triggers=(Route("POST", "/v1/webhooks/stripe", authorized=False),),
        grants=(_LEDGER_RW, _ORDERS_RW, SecretRead(STRIPE_WEBHOOK)),
    ),
)


# Returns: the return label, the wait for the parcel, restock and refund.
FUNCTIONS += (
    Function(
        name="return_label",
        handler="functions.return_label.handler.handler",
        description="Return step: buys the RMA's return label (once) and emails it to the customer (once)",
        triggers=(TaskTrigger(RETURNS, "ReturnLabelFunctionArn"),),
        grants=(
            _ORDERS_RW,
            TableGrant(INVENTORY, Access.READ),
            BucketGrant(DOCUMENTS, Access.READ_WRITE),
            _IDEMPOTENCY_RW,
            SendEmail((RETURN_OPENED,)),
        ),
        draws_labels=True,
    ),
    Function(
        name="await_return",
        handler="functions.await_return.handler.handler",
        description="Return step: keeps the task token the warehouse's return_received event answers",
        triggers=(TaskTrigger(RETURNS, "AwaitReturnFunctionArn"),),
        grants=(_ORDERS_RW, _ANSWER_RETURNS),
    ),
    Function(
        name="restock_return",
        handler="functions.restock_return.handler.handler",
        description="Return step: puts resellable units back in stock and opens the refund of the returned lines",
        triggers=(TaskTrigger(RETURNS, "RestockReturnFunctionArn"),),
        grants=(_ORDERS_RW, _INVENTORY_RW, _LEDGER_RW, StartExecution(REFUNDS)),
    ),
)


# Analytics: lifecycle facts from the orders and ledger streams through Firehose to S3; reports on
# Athena in AWS (DuckDB on the embedded stack) over the same SQL files.
ANALYTICS = Bucket("analytics")
FACTS = FactStore("analytics", ANALYTICS)
BUCKETS += (ANALYTICS,)
FACT_STORES = (FACTS,)
# Which engine runs the reports: the embedded stack sets duckdb.
ANALYTICS_ENGINE_ENV = "ANALYTICS_ENGINE"
FUNCTIONS += (
    Function(
        name="analytics_facts",
        handler="functions.analytics_facts.handler.handler",
        description="Turns order and refund changes (DynamoDB streams) into analytics facts on Firehose",
        triggers=(StreamTrigger(ORDERS), StreamTrigger(LEDGER)),
        grants=(FactsPut(FACTS),),
        timeout_s=60,
    ),
    Function(
        name="analytics_api",
        handler="functions.analytics_api.handler.handler",
        description="HTTP API v1: the analytics reports over the fact store",
        triggers=(
            Route("GET", "/v1/analytics", (Kind.OPS, Kind.FINANCE)),
            Route(
                "GET", "/v1/analytics/{report}", (Kind.OPS, Kind.FINANCE), query=("from", "to", "channel", "node_id")
            ),
        ),
        grants=(FactsQuery(FACTS), BucketGrant(ANALYTICS, Access.READ)),
        environment={ANALYTICS_ENGINE_ENV: "athena"},
    ),
)


# Operations: the exception queue, and what a person does about what is in it.
_QUEUE_QUERY = ("type", "channel", "node_id", "min_age_s", "order", "limit", "cursor")
FUNCTIONS += (
    Function(
        name="exceptions_api",
        handler="functions.exceptions_api.handler.handler",
        description="HTTP API v1: the exception queue, operations' actions on orders, refund and return retries",
        triggers=(
            Route("GET", "/v1/ops/exceptions", (Kind.OPS,), query=_QUEUE_QUERY),
            Route("POST", "/v1/orders/{order_id}/actions", (Kind.OPS,)),
            Route("POST", "/v1/orders/{order_id}/returns/{rma_id}/retry", (Kind.OPS,)),
            Route("POST", "/v1/finance/refunds/{refund_id}/retry", (Kind.FINANCE, Kind.OPS)),
        ),
        grants=(
            _ORDERS_RW,
            StartExecution(PREPARATION),
            _STOP_SHIPMENTS,
            BucketGrant(DOCUMENTS, Access.READ),
            _INVENTORY_RW,
            _LEDGER_RW,
            StartExecution(REFUNDS),
            StartExecution(RETURNS),
            _ANSWER_TASKS,
            _TELL_NODES,
            _IDEMPOTENCY_RW,
            SendEmail((CANCELLED,)),
            # the queue lists each dead-letter queue holding messages
            *(DeadLetterRead(q) for q in QUEUES),
        ),
    ),
    Function(
        name="sweep_exceptions",
        handler="functions.sweep_exceptions.handler.handler",
        description="Every 15 minutes: orders without progress become stuck exceptions; the oldest wait is measured",
        triggers=(ScheduleTrigger("exception-sweep", "rate(15 minutes)"),),
        grants=(_ORDERS_RW,),
        timeout_s=120,
    ),
)


# Operations reads: executions step by step from Step Functions, and the dead-letter queues.
FUNCTIONS += (
    Function(
        name="ops_api",
        handler="functions.ops_api.handler.handler",
        description="HTTP API v1: an order's executions step by step, dead-lettered messages and their redrive",
        triggers=(
            Route("GET", "/v1/orders/{order_id}/executions", (Kind.OPS,)),
            Route("GET", "/v1/orders/{order_id}/executions/{name}", (Kind.OPS,)),
            Route("GET", "/v1/ops/dead-letters", (Kind.OPS,)),
            Route("POST", "/v1/ops/dead-letters/{queue}/redrive", (Kind.OPS,)),
        ),
        grants=(
            TableGrant(ORDERS, Access.READ),
            ReadExecutions(FULFILMENT),
            ReadExecutions(PREPARATION),
            ReadExecutions(RETURNS),
            *(DeadLetterRedrive(q) for q in QUEUES),
        ),
    ),
)


def function(name: str) -> Function:
    return next(f for f in FUNCTIONS if f.name == name)

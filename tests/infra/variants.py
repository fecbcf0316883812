"""A topology that uses every kind of trigger and grant, including those shared/topology.py does not use
yet (schedules, bucket grants, queue sends, secondary indexes, batches over 10), to
prove the stack handles them before they are needed."""

from __future__ import annotations

import dataclasses

from infra.spec import Spec
from shared import topology as t

REPORTS = t.Table("reports", indexes=(("by_day", "day", "sk"), ("by_kind", "kind", None)))
OUTBOX = t.Queue("outbox", visibility_timeout_s=120, max_receive_count=5)

RECONCILE = t.Function(
    # not named like the topology's own reconcile function: construct ids and routes would clash
    name="reconcile_variant",
    handler="functions.reconcile_variant.handler.handler",
    description="Daily reconciliation of the refund ledger against Stripe",
    triggers=(
        t.ScheduleTrigger("variant_reconciliation", "cron(0 3 * * ? *)"),
        t.Route("GET", "/v1/finance/daily-reports/{day}", (t.Kind.FINANCE,)),
    ),
    grants=(
        t.TableGrant(REPORTS, t.Access.READ_WRITE),
        t.TableGrant(t.LEDGER, t.Access.READ),
        t.BucketGrant(t.DOCUMENTS, t.Access.WRITE),
        t.QueueSend(OUTBOX),
        t.SecretRead(t.STRIPE),
    ),
    environment={"RECONCILE_WINDOW_DAYS": "2"},
    timeout_s=120,
)
OUTBOX_CONSUMER = t.Function(
    name="outbox_consumer",
    handler="functions.outbox_consumer.handler.handler",
    description="Drains the outbox",
    triggers=(t.QueueTrigger(OUTBOX, batch_size=50),),
    grants=(t.BucketGrant(t.DOCUMENTS, t.Access.READ), t.TableGrant(REPORTS, t.Access.WRITE)),
)


def every_kind_spec() -> Spec:
    base = Spec.from_topology()
    return dataclasses.replace(
        base,
        functions=(*base.functions, RECONCILE, OUTBOX_CONSUMER),
        tables=(*base.tables, REPORTS),
        queues=(*base.queues, OUTBOX),
    )

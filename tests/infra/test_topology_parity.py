"""The CDK stack and the embedded stack must wire the same functions the same way.

Both are built from shared/topology.py; this test compares what each actually built: the
synthesized CloudFormation template on one side, the local stack's plan and the environment
it gives each function on the other.
"""

from __future__ import annotations

import dataclasses

from devstack import plan as local_plan
from devstack.provision import Resources, function_environment
from shared import topology as t
from tests.infra.synth import Synthesized
from tests.infra.template_wiring import wiring_from_template
from tests.infra.wiring import Wiring


def _identity_resources() -> Resources:
    res = Resources(endpoint="http://127.0.0.1:0", region="us-east-1")
    for table in t.TABLES:
        res.tables[table.name] = table.name
    for queue in t.QUEUES:
        res.queue_urls[queue.name] = queue.name
        res.dlq_urls[queue.name] = queue.dlq_name
    for topic in t.TOPICS:
        res.topic_arns[topic.name] = topic.name
    for bucket in t.BUCKETS:
        res.buckets[bucket.name] = bucket.name
    for secret in t.SECRETS:
        res.secrets[secret.name] = secret.name
    for template in t.EMAIL_TEMPLATES:
        res.templates[template.name] = template.name
    for machine in t.STATE_MACHINES:
        res.state_machines[machine.name] = machine.name
    for store in t.FACT_STORES:
        put, query = t.FactsPut(store), t.FactsQuery(store)
        res.fact_stores[store.name] = {name: store.name for name in (put.env, *query.envs)}
    return res


def local_wiring(built: local_plan.LocalPlan) -> Wiring:
    res = _identity_resources()
    return Wiring(
        functions=frozenset(fn.name for fn in built.functions),
        routes=frozenset((r.method, r.path, r.function) for r in built.routes),
        authorized_routes=frozenset((r.method, r.path) for r in built.routes if r.authorized),
        authorizer=built.authorizer,
        queue_triggers=frozenset((p.queue.name, p.function) for p in built.pollers),
        task_functions=frozenset((task.state_machine, task.function) for task in built.tasks),
        schedules=frozenset((s.expression, s.function) for s in built.schedules),
        stream_triggers=frozenset((s.table.name, s.function) for s in built.streams),
        environment={
            fn.name: frozenset(function_environment(fn, res, "x@example.com", "http://127.0.0.1:4000"))
            for fn in built.functions
        },
    )


def test_cdk_and_local_stack_wire_the_same(synth: Synthesized) -> None:
    cloud = wiring_from_template(synth.template)
    local = local_wiring(local_plan.build())
    for field in dataclasses.fields(Wiring):
        assert getattr(cloud, field.name) == getattr(local, field.name), field.name


def test_a_function_missing_from_one_side_is_caught(synth: Synthesized) -> None:
    """The comparison is not vacuous: dropping one function locally makes it differ."""
    cloud = wiring_from_template(synth.template)
    local = local_wiring(local_plan.build(tuple(fn for fn in t.FUNCTIONS if fn.name != "intake")))
    assert cloud.functions != local.functions
    assert cloud.queue_triggers != local.queue_triggers

"""Alarms for every queue, dead-letter queue, state machine and function the topology declares, all
notifying the alarm topic; the business metrics' alarm reads what shared/metrics.py emits; one dashboard.

Run on the real topology and on the variant (an extra queue, table and scheduled function), so a
resource added to the topology without its alarms fails here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from infra.constructs.monitoring import ALARM_EMAIL_CONTEXT, QUEUE_MAX_AGE_S, Monitoring
from infra.spec import Spec
from shared import metrics
from shared.topology import COMMON_ENVIRONMENT, ScheduleTrigger, function
from tests.infra.synth import Synthesized
from tests.infra.variants import every_kind_spec


@dataclass(frozen=True)
class Alarm:
    namespace: str
    metric: str
    dimensions: dict[str, Any]
    statistic: str
    threshold: float
    comparison: str
    actions: list[Any]


def alarms(template: dict[str, Any]) -> list[Alarm]:
    found = []
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        p = resource["Properties"]
        (query,) = p["Metrics"]
        stat = query["MetricStat"]
        found.append(
            Alarm(
                namespace=stat["Metric"]["Namespace"],
                metric=stat["Metric"]["MetricName"],
                dimensions={d["Name"]: d["Value"] for d in stat["Metric"].get("Dimensions", [])},
                statistic=stat["Stat"],
                threshold=p["Threshold"],
                comparison=p["ComparisonOperator"],
                actions=p["AlarmActions"],
            )
        )
    return found


def named(template: dict[str, Any], key: str) -> dict[str, str]:
    return {r["Metadata"][key]: lid for lid, r in template["Resources"].items() if key in r.get("Metadata", {})}


@pytest.fixture(params=["topology", "variant"])
def case(request: pytest.FixtureRequest) -> tuple[Synthesized, Spec]:
    if request.param == "topology":
        return request.getfixturevalue("synth"), Spec.from_topology()
    return request.getfixturevalue("variant_synth"), every_kind_spec()


def alarmed(found: list[Alarm], namespace: str, metric: str, dimension: str, value: Any) -> list[Alarm]:
    return [a for a in found if (a.namespace, a.metric) == (namespace, metric) and a.dimensions == {dimension: value}]


def topic(template: dict[str, Any]) -> dict[str, str]:
    """The alarm topic (the topology's own topics carry waybill:topic Metadata)."""
    (lid,) = [
        lid
        for lid, r in template["Resources"].items()
        if r["Type"] == "AWS::SNS::Topic" and "waybill:topic" not in r.get("Metadata", {})
    ]
    return {"Ref": lid}


def tls_only(synth: Synthesized, topic_ref: dict[str, str]) -> bool:
    policies = [p for p in synth.resources("AWS::SNS::TopicPolicy").values() if topic_ref in p["Properties"]["Topics"]]
    (policy,) = policies
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    return bool(statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}})


def test_every_topology_topic_is_encrypted_tls_only_and_alarms_on_undelivered_messages(synth: Synthesized) -> None:
    topics, found = named(synth.template, "waybill:topic"), alarms(synth.template)
    assert set(topics) == {t.name for t in Spec.from_topology().topics}
    for lid in topics.values():
        assert synth.template["Resources"][lid]["Properties"]["KmsMasterKeyId"]
        assert tls_only(synth, {"Ref": lid})
        (alarm,) = alarmed(
            found, "AWS/SNS", "NumberOfNotificationsFailed", "TopicName", {"Fn::GetAtt": [lid, "TopicName"]}
        )
        assert (alarm.threshold, alarm.comparison) == (0, "GreaterThanThreshold")
        assert alarm.actions == [topic(synth.template)]


def test_every_dead_letter_queue_alarms_on_its_first_message(case: tuple[Synthesized, Spec]) -> None:
    synth, spec = case
    found, dlqs = alarms(synth.template), named(synth.template, "waybill:dead_letter_queue")
    queues = named(synth.template, "waybill:queue")
    assert {q.dlq_name for q in spec.queues} == set(dlqs)
    for q in spec.queues:
        (poison,) = alarmed(
            found,
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            "QueueName",
            {"Fn::GetAtt": [dlqs[q.dlq_name], "QueueName"]},
        )
        assert (poison.threshold, poison.comparison, poison.statistic) == (0, "GreaterThanThreshold", "Maximum")
        assert poison.actions == [topic(synth.template)]
        (backlog,) = alarmed(
            found,
            "AWS/SQS",
            "ApproximateAgeOfOldestMessage",
            "QueueName",
            {"Fn::GetAtt": [queues[q.name], "QueueName"]},
        )
        assert backlog.threshold == QUEUE_MAX_AGE_S
        assert backlog.actions == [topic(synth.template)]


def test_every_state_machine_alarms_on_failed_and_timed_out_executions(case: tuple[Synthesized, Spec]) -> None:
    synth, spec = case
    found, machines = alarms(synth.template), named(synth.template, "waybill:state_machine")
    assert set(machines) == {m.name for m in spec.state_machines}
    for m in spec.state_machines:
        for metric in ("ExecutionsFailed", "ExecutionsTimedOut"):
            (alarm,) = alarmed(found, "AWS/States", metric, "StateMachineArn", {"Ref": machines[m.name]})
            assert (alarm.threshold, alarm.comparison, alarm.statistic) == (0, "GreaterThanThreshold", "Sum")
            assert alarm.actions == [topic(synth.template)]


def test_every_function_alarms_on_errors_and_throttles(case: tuple[Synthesized, Spec]) -> None:
    synth, spec = case
    found, functions = alarms(synth.template), named(synth.template, "waybill:function")
    assert set(functions) == {f.name for f in spec.functions}
    for f in spec.functions:
        for metric in ("Errors", "Throttles"):
            (alarm,) = alarmed(found, "AWS/Lambda", metric, "FunctionName", {"Ref": functions[f.name]})
            assert (alarm.threshold, alarm.comparison) == (0, "GreaterThanThreshold")
            assert alarm.actions == [topic(synth.template)]


def test_scheduled_functions_keep_their_failures_in_an_alarmed_queue(case: tuple[Synthesized, Spec]) -> None:
    """A schedule invokes its function asynchronously: failed runs and undeliverable events are kept."""
    synth, spec = case
    resources, found = synth.template["Resources"], alarms(synth.template)
    functions, failures = named(synth.template, "waybill:function"), named(synth.template, "waybill:function_dlq")
    scheduled = {f.name for f in spec.functions if any(isinstance(t, ScheduleTrigger) for t in f.triggers)}
    assert scheduled
    assert set(failures) == scheduled
    for name in scheduled:
        queue_arn = {"Fn::GetAtt": [failures[name], "Arn"]}
        assert resources[functions[name]]["Properties"]["DeadLetterConfig"] == {"TargetArn": queue_arn}
        targets = [
            t
            for r in resources.values()
            if r["Type"] == "AWS::Events::Rule"
            for t in r["Properties"]["Targets"]
            if t["Arn"] == {"Fn::GetAtt": [functions[name], "Arn"]}
        ]
        assert targets
        assert all(t["DeadLetterConfig"] == {"Arn": queue_arn} for t in targets)
        (alarm,) = alarmed(
            found,
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            "QueueName",
            {"Fn::GetAtt": [failures[name], "QueueName"]},
        )
        assert (alarm.threshold, alarm.comparison) == (0, "GreaterThanThreshold")


def test_failed_refunds_alarm_reads_the_metric_the_functions_emit(synth: Synthesized) -> None:
    (alarm,) = [a for a in alarms(synth.template) if a.metric == metrics.REFUNDS_FAILED]
    assert alarm.namespace == COMMON_ENVIRONMENT["POWERTOOLS_METRICS_NAMESPACE"]
    # Powertools adds the service dimension; REFUNDS_FAILED has no other (see shared/metrics.py).
    assert metrics.DIMENSIONS[metrics.REFUNDS_FAILED] is None
    assert alarm.dimensions == {"service": COMMON_ENVIRONMENT["POWERTOOLS_SERVICE_NAME"]}
    assert (alarm.statistic, alarm.threshold, alarm.comparison) == ("Sum", 0, "GreaterThanThreshold")
    assert alarm.actions == [topic(synth.template)]


def test_exceptions_waiting_over_a_day_alarm_on_the_gauge_the_sweep_emits(synth: Synthesized) -> None:
    (alarm,) = [a for a in alarms(synth.template) if a.metric == metrics.OLDEST_EXCEPTION_AGE]
    assert alarm.namespace == COMMON_ENVIRONMENT["POWERTOOLS_METRICS_NAMESPACE"]
    assert alarm.dimensions == {"service": COMMON_ENVIRONMENT["POWERTOOLS_SERVICE_NAME"]}
    assert (alarm.statistic, alarm.threshold, alarm.comparison) == ("Maximum", 86400, "GreaterThanThreshold")
    assert alarm.actions == [topic(synth.template)]
    # the gauge comes from a scheduled function of the topology
    sweep = function("sweep_exceptions")
    assert any(isinstance(trigger, ScheduleTrigger) for trigger in sweep.triggers)


def test_one_dashboard_with_the_business_metrics(synth: Synthesized) -> None:
    (dashboard,) = synth.resources("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for name in metrics.DIMENSIONS:
        assert name in body, name
    for dimension in (metrics.CHANNEL, metrics.EXCEPTION_TYPE, metrics.ACTION):
        assert dimension in body, dimension


def test_every_alarm_notifies_the_topic_and_the_topic_requires_tls(synth: Synthesized) -> None:
    found = alarms(synth.template)
    assert found
    assert all(a.actions == [topic(synth.template)] for a in found)
    assert tls_only(synth, topic(synth.template))
    # No address given: no subscription (a deploy without alarm_email still gets its alarms and topic).
    assert synth.resources("AWS::SNS::Subscription") == {}


def test_alarm_email_context_subscribes_that_address() -> None:
    app = App(context={ALARM_EMAIL_CONTEXT: "ops@yourshop.example"})
    stack = Stack(app, "Monitored")
    Monitoring(stack, "Monitoring", prefix="Monitored", queues={}, state_machines={}, functions={}, function_dlqs={})
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::SNS::Subscription", 1)
    template.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "ops@yourshop.example"}
    )

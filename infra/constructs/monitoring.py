"""Alarms and one dashboard (cdk-monitoring-constructs), derived from what the stack built from the topology.

Every dead-letter queue (of a queue, or of a scheduled function) alarms on its first message, every
queue on a message waiting over an hour, every topic on a message it could not deliver to a
subscriber, every state machine on a failed or timed-out execution,
every function on an error or a throttle, and the business metrics (shared/metrics.py) on a failed
refund and on an order waiting in the exception queue for over a day. Each alarm notifies one SNS
topic; the context value `alarm_email` subscribes an address to it.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import CfnOutput, Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from cdk_monitoring_constructs import (
    AlarmFactoryDefaults,
    CustomMetricGroup,
    CustomMetricSearch,
    CustomMetricWithAlarm,
    CustomThreshold,
    DefaultDashboardFactory,
    ErrorCountThreshold,
    MaxMessageAgeThreshold,
    MaxMessageCountThreshold,
    MetricStatistic,
    MonitoringFacade,
    NotificationsFailedThreshold,
    SnsAlarmActionStrategy,
)
from constructs import Construct

from infra import metadata
from shared import metrics
from shared.topology import COMMON_ENVIRONMENT

ALARM_EMAIL_CONTEXT = "alarm_email"
# A message older than this on a work queue means its consumer is not draining it.
QUEUE_MAX_AGE_S = 3600
# An order waiting in the exception queue longer than this (the sweep's gauge) means nobody is on it.
EXCEPTION_MAX_AGE_S = 24 * 3600
_PERIOD = Duration.minutes(5)
_NAMESPACE = COMMON_ENVIRONMENT["POWERTOOLS_METRICS_NAMESPACE"]


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        queues: Mapping[str, tuple[sqs.IQueue, sqs.IQueue]],
        state_machines: Mapping[str, sfn.IStateMachine],
        functions: Mapping[str, lambda_.IFunction],
        function_dlqs: Mapping[str, sqs.IQueue],
        topics: Mapping[str, sns.ITopic] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "AlarmTopic", display_name=f"{prefix} alarms", enforce_ssl=True)
        email = self.node.try_get_context(ALARM_EMAIL_CONTEXT)
        if email:
            self.topic.add_subscription(subscriptions.EmailSubscription(str(email)))
        CfnOutput(scope, "AlarmTopicArn", value=self.topic.topic_arn, description="Alarms are published here")
        self.facade = MonitoringFacade(
            self,
            "Facade",
            alarm_factory_defaults=AlarmFactoryDefaults(
                alarm_name_prefix=prefix,
                actions_enabled=True,
                action=SnsAlarmActionStrategy(on_alarm_topic=self.topic),
                # One bad datapoint is enough: each of these is a count that should stay at zero.
                datapoints_to_alarm=1,
                evaluation_periods=1,
            ),
            dashboard_factory=DefaultDashboardFactory(self, "Dashboards", dashboard_name_prefix=prefix),
        )
        self._business_metrics()
        for name, (queue, dlq) in queues.items():
            self.facade.monitor_sqs_queue_with_dlq(
                queue=queue,
                dead_letter_queue=dlq,
                alarm_friendly_name=name,
                add_dead_letter_queue_max_size_alarm={"Poison": MaxMessageCountThreshold(max_message_count=0)},
                add_queue_max_message_age_alarm={"Backlog": MaxMessageAgeThreshold(max_age_in_seconds=QUEUE_MAX_AGE_S)},
            )
        for name, topic in (topics or {}).items():
            # a message SNS could not deliver to a subscriber's queue never reached its warehouse
            self.facade.monitor_sns_topic(
                topic=topic,
                alarm_friendly_name=f"{name}-topic",
                add_message_notifications_failed_alarm={
                    "Undelivered": NotificationsFailedThreshold(max_notifications_failed_count=0)
                },
            )
        for name, dlq in function_dlqs.items():
            self.facade.monitor_sqs_queue(
                queue=dlq,
                alarm_friendly_name=f"{name}-failures",
                add_queue_max_size_alarm={"Poison": MaxMessageCountThreshold(max_message_count=0)},
            )
        for name, machine in state_machines.items():
            self.facade.monitor_step_function(
                state_machine=machine,
                alarm_friendly_name=name,
                add_failed_execution_count_alarm={"Failed": ErrorCountThreshold(max_error_count=0)},
                add_timed_out_execution_count_alarm={"TimedOut": ErrorCountThreshold(max_error_count=0)},
            )
        for name, fn in functions.items():
            self.facade.monitor_lambda_function(
                lambda_function=fn,
                alarm_friendly_name=name,
                add_fault_count_alarm={"Errors": ErrorCountThreshold(max_error_count=0)},
                add_throttles_count_alarm={"Throttles": ErrorCountThreshold(max_error_count=0)},
            )
        for alarm in self.facade.created_alarms():
            metadata.tag(alarm.alarm, metadata.ALARM, alarm.alarm_name)

    def _business_metrics(self) -> None:
        refunds_failed = cloudwatch.Metric(
            namespace=_NAMESPACE,
            metric_name=metrics.REFUNDS_FAILED,
            dimensions_map={"service": metrics.SERVICE},
            statistic="Sum",
            period=_PERIOD,
            label="Refunds failed",
        )

        def split(name: str, label: str) -> CustomMetricSearch:
            # One line per channel / exception type / action, whatever values appear.
            dimension = metrics.DIMENSIONS[name]
            return CustomMetricSearch(
                namespace=_NAMESPACE,
                search_query=f'MetricName="{name}"',
                dimensions_map={"service": metrics.SERVICE, str(dimension): "*"},
                label=label,
                statistic=MetricStatistic.SUM,
                period=_PERIOD,
            )

        self.facade.add_large_header("Waybill").monitor_custom(
            alarm_friendly_name="business",
            human_readable_name="Business metrics",
            metric_groups=[
                CustomMetricGroup(
                    title="Orders captured per channel", metrics=[split(metrics.ORDERS_CAPTURED, "orders")]
                ),
                CustomMetricGroup(
                    title="Exceptions by type", metrics=[split(metrics.EXCEPTIONS_RECORDED, "exceptions")]
                ),
                CustomMetricGroup(title="Actions taken", metrics=[split(metrics.ACTIONS_TAKEN, "actions")]),
                CustomMetricGroup(
                    title="Oldest exception waiting (s)",
                    metrics=[
                        CustomMetricWithAlarm(
                            metric=cloudwatch.Metric(
                                namespace=_NAMESPACE,
                                metric_name=metrics.OLDEST_EXCEPTION_AGE,
                                dimensions_map={"service": metrics.SERVICE},
                                statistic="Maximum",
                                period=_PERIOD,
                                label="Oldest exception age",
                            ),
                            alarm_friendly_name="OldExceptions",
                            add_alarm={
                                "TooOld": CustomThreshold(
                                    threshold=EXCEPTION_MAX_AGE_S,
                                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                                    treat_missing_data_override=cloudwatch.TreatMissingData.NOT_BREACHING,
                                    additional_description="An order has waited in the exception queue for over "
                                    "a day: GET /v1/ops/exceptions?order=oldest lists the longest waiting.",
                                )
                            },
                        )
                    ],
                ),
                CustomMetricGroup(
                    title="Refunds failed",
                    metrics=[
                        CustomMetricWithAlarm(
                            metric=refunds_failed,
                            alarm_friendly_name="RefundsFailed",
                            add_alarm={
                                "Failed": CustomThreshold(
                                    threshold=0,
                                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                                    treat_missing_data_override=cloudwatch.TreatMissingData.NOT_BREACHING,
                                    additional_description="A refund's ledger entry became FAILED: "
                                    "GET /v1/finance/refunds?status=FAILED lists them.",
                                )
                            },
                        )
                    ],
                ),
            ],
        )

"""EventBridge rules, one per ScheduleTrigger in the topology (for example daily reconciliation)."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import metadata
from infra.naming import pascal
from shared.topology import Function, ScheduleTrigger


class Schedules(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: tuple[Function, ...],
        lambdas: Mapping[str, lambda_.IFunction],
        failure_queues: Mapping[str, sqs.IQueue],
    ) -> None:
        super().__init__(scope, construct_id)
        self.rules: dict[str, events.Rule] = {}
        for fn in functions:
            for trigger in fn.triggers:
                if isinstance(trigger, ScheduleTrigger):
                    rule = events.Rule(
                        self,
                        pascal(trigger.name),
                        description=f"Waybill {trigger.name}: {fn.name} on {trigger.expression}",
                        schedule=events.Schedule.expression(trigger.expression),
                        targets=[
                            # A missed run is retried for a while, then the next run catches up.
                            # An event EventBridge could not deliver goes where the function's failed runs go.
                            targets.LambdaFunction(
                                lambdas[fn.name],
                                retry_attempts=2,
                                max_event_age=Duration.hours(2),
                                dead_letter_queue=failure_queues[fn.name],
                            )
                        ],
                    )
                    metadata.tag(rule, metadata.SCHEDULE, trigger.name)
                    self.rules[trigger.name] = rule

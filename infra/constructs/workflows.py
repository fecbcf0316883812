"""Step Functions state machines, one per topology StateMachine, from the ASL files: Standard, or
Express for a machine the topology marks so.

Each `${Placeholder}` in the ASL is substituted with the ARN of the function whose TaskTrigger names it,
and the state machine's role may invoke exactly those functions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra import metadata
from infra.naming import pascal
from infra.spec import REPO_ROOT
from shared.topology import Function, StateMachine, TaskTrigger

_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


def task_functions(machine: StateMachine, functions: tuple[Function, ...]) -> dict[str, str]:
    """placeholder -> function name, for the functions that are Lambda tasks of this state machine."""
    return {
        t.placeholder: fn.name
        for fn in functions
        for t in fn.triggers
        if isinstance(t, TaskTrigger) and t.state_machine == machine
    }


class Workflows(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        state_machines: tuple[StateMachine, ...],
        functions: tuple[Function, ...],
        lambdas: Mapping[str, lambda_.IFunction],
    ) -> None:
        super().__init__(scope, construct_id)
        # topology name -> (state machine, physical name)
        self.state_machines: dict[str, tuple[sfn.IStateMachine, str]] = {}
        self.log_groups: dict[str, logs.ILogGroup] = {}
        for spec in state_machines:
            tasks = task_functions(spec, functions)
            path = REPO_ROOT / spec.definition_path
            used = set(_PLACEHOLDER.findall(path.read_text()))
            if used != set(tasks):
                # A placeholder with no function (or a task nobody references) would only fail at deploy.
                raise ValueError(
                    f"{spec.definition_path}: placeholders {sorted(used)} != task triggers {sorted(tasks)}"
                )
            self.state_machines[spec.name] = self._add(spec, path.as_posix(), tasks, lambdas)

    def _add(
        self,
        spec: StateMachine,
        path: str,
        tasks: dict[str, str],
        lambdas: Mapping[str, lambda_.IFunction],
    ) -> tuple[sfn.IStateMachine, str]:
        name = f"{Stack.of(self).stack_name}-{spec.name}"
        log_group = logs.LogGroup(
            self,
            f"{pascal(spec.name)}Logs",
            # The /aws/vendedlogs/ prefix keeps CloudWatch's log resource policy small.
            log_group_name=f"/aws/vendedlogs/states/{name}",
            retention=logs.RetentionDays.THREE_MONTHS,
            removal_policy=RemovalPolicy.DESTROY,
        )
        machine = sfn.StateMachine(
            self,
            pascal(spec.name),
            # A fixed name gives ops a readable console entry and callers a precise execution ARN grant.
            state_machine_name=name,
            state_machine_type=sfn.StateMachineType.EXPRESS if spec.express else sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_file(path),
            definition_substitutions={p: lambdas[fn].function_arn for p, fn in tasks.items()},
            # Every transition is logged. A Standard machine's state data stays in its execution
            # history; an Express machine has none, so its log carries the data the ops view shows
            # (ids, outcomes and time limits: its states hold no customer details).
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=spec.express),
            tracing_enabled=True,
        )
        self.log_groups[spec.name] = log_group
        # Exactly the unqualified ARNs the ASL invokes; grant_invoke would add a `:*` wildcard.
        machine.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[lambdas[fn].function_arn for fn in sorted(set(tasks.values()))],
            )
        )
        metadata.tag(machine, metadata.STATE_MACHINE, spec.name)
        return machine, name

"""cdk-nag (AwsSolutions) on every synth, and every finding this stack accepts, each with its reason.

A finding not acknowledged here fails `cdk synth`. Acknowledgements are placed on the narrowest
construct that raises them, so a new resource elsewhere with the same problem still fails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Acknowledgment, App, CfnElement, Stack, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

from infra.constructs.analytics import ERRORS_PREFIX
from shared.topology import (
    BucketGrant,
    FactsQuery,
    ReadExecutions,
    StartExecution,
    StopExecutions,
    StreamTrigger,
    TableGrant,
)

if TYPE_CHECKING:
    from infra.stack import WaybillStack

# Routes declared authorized=False in the topology, and why each may be public. A public route missing
# here keeps its AwsSolutions-APIG4 finding, so synth fails until someone writes down the reason.
PUBLIC_ROUTE_REASONS = {
    ("GET", "/v1/openapi.json"): (
        "The OpenAPI document is public so that channel developers can generate clients before they "
        "are issued an API key; it holds no data."
    ),
    ("POST", "/v1/webhooks/stripe"): (
        "Stripe cannot send a Waybill bearer key; the handler verifies the Stripe-Signature header "
        "(HMAC and timestamp) before acting."
    ),
}

NO_COGNITO = (
    "Callers are machines (sales channels, warehouses, carriers, ops tools) holding Waybill API keys, "
    "which the Lambda REQUEST authorizer resolves against hashed keys in DynamoDB; there are no end "
    "users for a Cognito user pool."
)
XRAY_ONLY = (
    "The only Resource '*' statement is active X-Ray tracing (xray:PutTraceSegments, "
    "xray:PutTelemetryRecords), which support no resource-level permissions; tests/infra checks that "
    "no other action gets '*'."
)
NOT_LATEST_RUNTIME = (
    "python3.13, not the latest python3.14: the code asset and layers ship CPython 3.13 bytecode compiled "
    "at build time (a .pyc loads only in the version that wrote it, and no 3.14 interpreter is available "
    "to the build), which roughly halves cold starts; move on once the build can compile for 3.14."
)
STREAM_STAR = (
    "Resource '*' only for X-Ray (xray:PutTraceSegments, xray:PutTelemetryRecords) and dynamodb:ListStreams, "
    "which the DynamoDB stream event source needs and which supports no resource-level permissions; "
    "reading the stream itself is granted on the table's stream ARN only."
)
STATE_MACHINE_STAR = (
    "Resource '*' only for Step Functions log delivery (logs:CreateLogDelivery, GetLogDelivery, "
    "UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, "
    "DescribeLogGroups) and X-Ray (PutTraceSegments, PutTelemetryRecords, GetSamplingRules, "
    "GetSamplingTargets), which support no resource-level permissions."
)


def add_checks(app: App) -> None:
    """Any unacknowledged finding fails synthesis (cdk-nag 3 reports through CDK's policy validation)."""
    # Acknowledgements are also written to each resource's Metadata (cdk_nag.rules_to_suppress), so
    # the template carries its own audit trail.
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, write_suppressions_to_cloud_formation=True))


def ack(scope: IConstruct, rule_id: str, reason: str) -> None:
    if not reason.strip():
        raise ValueError(f"acknowledging {rule_id} needs a reason")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def acknowledge_findings(stack: WaybillStack) -> None:
    _functions(stack)
    _workflows(stack)
    _api(stack)
    _console(stack)
    _analytics(stack)
    for name, secret in stack.secrets.secrets.items():
        ack(
            secret,
            "AwsSolutions-SMG4",
            f"The {name} secret is a Stripe secret key: Stripe issues new keys only in its dashboard "
            "('roll key'), so no rotation Lambda can rotate it; operators store the new key with "
            "put-secret-value (infra/README-notes.md).",
        )


def _logical_id(construct: IConstruct) -> str:
    resource = construct.node.default_child
    assert isinstance(resource, CfnElement)
    return Stack.of(construct).get_logical_id(resource)


def _functions(stack: WaybillStack) -> None:
    machine_names = {name: physical for name, (_, physical) in stack.workflows.state_machines.items()}
    for name, role in stack.functions.roles.items():
        reads_stream = any(isinstance(t, StreamTrigger) for t in stack.functions.specs[name].triggers)
        ack(role, "AwsSolutions-IAM5[Resource::*]", STREAM_STAR if reads_stream else XRAY_ONLY)
        ack(stack.functions.functions[name], "AwsSolutions-L1", NOT_LATEST_RUNTIME)
        for grant in stack.functions.specs[name].grants:
            if isinstance(grant, TableGrant) and grant.table.indexes:
                table = _logical_id(stack.data.tables[grant.table.name])
                ack(
                    role,
                    f"AwsSolutions-IAM5[Resource::<{table}.Arn>/index/*]",
                    f"The same access to the secondary indexes of the {grant.table.name} table only; "
                    "CDK grants index ARNs by the table's own prefix.",
                )
            if isinstance(grant, BucketGrant):
                bucket = _logical_id(stack.storage.buckets[grant.bucket.name])
                ack(
                    role,
                    f"AwsSolutions-IAM5[Resource::<{bucket}.Arn>/*]",
                    f"Object-level {grant.access} access within the {grant.bucket.name} bucket only "
                    "(object keys are per order, so only a prefix can name them).",
                )
            if isinstance(grant, FactsQuery):
                bucket = _logical_id(stack.storage.buckets[grant.store.bucket.name])
                ack(
                    role,
                    f"AwsSolutions-IAM5[Resource::<{bucket}.Arn>/athena-results/*]",
                    "Athena writes each report's result under the workgroup's result prefix with a key "
                    "of its own (the query id): only the prefix can name them.",
                )
            if isinstance(grant, ReadExecutions) and grant.state_machine.express:
                group = _logical_id(stack.workflows.log_groups[grant.state_machine.name])
                ack(
                    role,
                    f"AwsSolutions-IAM5[Resource::<{group}.Arn>]",
                    f"Searching the log group of the {grant.state_machine.name} Express machine only (an Express "
                    "execution's steps are in its log group); a log group's ARN ends in ':*' for its streams.",
                )
            elif (
                isinstance(grant, StartExecution | ReadExecutions | StopExecutions) and not grant.state_machine.express
            ):
                machine = machine_names[grant.state_machine.name]
                ack(
                    role,
                    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:"
                    f"<AWS::AccountId>:execution:{machine}:*]",
                    f"Reading (describing, and for ops their history) or stopping the executions of {machine} only: "
                    "execution ARNs are made per start, so they can only be named by this machine's prefix.",
                )


def _analytics(stack: WaybillStack) -> None:
    for analytics in stack.analytics.values():
        bucket = _logical_id(analytics.bucket)
        for prefix in (analytics.prefix, ERRORS_PREFIX):
            ack(
                analytics.delivery_role,
                f"AwsSolutions-IAM5[Resource::<{bucket}.Arn>/{prefix}*]",
                "Firehose names each object it delivers (hour folder, stream, time, random id): only the "
                f"{prefix} prefix of the analytics bucket can name them.",
            )


def _console(stack: WaybillStack) -> None:
    distribution = stack.console.distribution
    ack(
        distribution,
        "AwsSolutions-CFR1",
        "No geo restriction: the console's users (operations, finance) may work from anywhere, and the "
        "files hold no data; everything shown comes from the API, which needs an ops or finance key.",
    )
    ack(
        distribution,
        "AwsSolutions-CFR2",
        "No WAF web ACL on the console's distribution: it serves static files that hold no data "
        "(read-only GET/HEAD from a private bucket); the API behind it has its own throttling and keys.",
    )
    ack(
        distribution,
        "AwsSolutions-CFR4",
        "The distribution uses CloudFront's default certificate (no custom domain yet), whose security "
        "policy CloudFront fixes at TLSv1; viewers are HTTPS only and browsers negotiate TLS 1.2+. "
        "A custom domain with an ACM certificate would allow TLSv1.2_2021.",
    )
    # CDK's BucketDeployment copies the files with one singleton function per stack.
    for child in stack.node.children:
        if not child.node.id.startswith("Custom::CDKBucketDeployment"):
            continue
        ack(child, "AwsSolutions-L1", "CDK's BucketDeployment handler: its runtime is chosen by aws-cdk-lib.")
        ack(
            child,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            "CDK's BucketDeployment handler writes its logs with the AWS-managed basic execution policy.",
        )
        for finding in (
            "Action::s3:GetBucket*",
            "Action::s3:GetObject*",
            "Action::s3:List*",
            "Action::s3:Abort*",
            "Action::s3:DeleteObject*",
            "Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*",
            f"Resource::<{_logical_id(stack.console.bucket)}.Arn>/*",
            "Resource::*",
        ):
            ack(
                child,
                f"AwsSolutions-IAM5[{finding}]",
                "CDK's BucketDeployment grants its handler read on the CDK asset bucket and write on the "
                "console bucket only (object keys are the console's files; '*' is CloudFront "
                "invalidation, which has no resource-level permission).",
            )


def _workflows(stack: WaybillStack) -> None:
    for machine, _ in stack.workflows.state_machines.values():
        ack(machine, "AwsSolutions-IAM5[Resource::*]", STATE_MACHINE_STAR)


def _api(stack: WaybillStack) -> None:
    api = stack.api.rest_api
    ack(
        api.deployment_stage,
        "AwsSolutions-APIG3",
        "No WAF web ACL yet ($5/month + $1/rule + request fees): callers are known channels with API keys, "
        "and stage throttling plus the authorizer bound abuse. Revisit before opening the API widely.",
    )
    if api.node.try_find_child("CloudWatchRole") is not None:
        ack(
            api.node.find_child("CloudWatchRole"),
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "API Gateway's account-level logging role needs exactly this AWS-maintained policy "
            "(the documented setup for execution logging); it is not used by any function.",
        )
    for route, method in stack.api.methods.items():
        ack(method, "AwsSolutions-COG4", NO_COGNITO)
        reason = PUBLIC_ROUTE_REASONS.get(route)
        if route in stack.api.public and reason is not None:
            ack(method, "AwsSolutions-APIG4", reason)

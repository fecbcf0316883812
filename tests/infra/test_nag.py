"""cdk-nag (AwsSolutions) runs on every synth; only reasoned acknowledgements let a finding through."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from infra.constructs.nag import PUBLIC_ROUTE_REASONS
from infra.spec import Spec
from shared import topology
from tests.infra.synth import Synthesized, synthesize

# Every kind of finding this stack accepts. Adding one is a reviewed change to this list.
ACKNOWLEDGED = {
    "AwsSolutions-APIG3",  # no WAF web ACL yet (cost)
    "AwsSolutions-APIG4",  # public routes listed in PUBLIC_ROUTE_REASONS
    "AwsSolutions-COG4",  # API keys via the Lambda authorizer, not Cognito
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
    "AmazonAPIGatewayPushToCloudWatchLogs]",  # API Gateway's account logging role
    "AwsSolutions-IAM5[Resource::*]",  # X-Ray, and Step Functions log delivery
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:"
    "execution:Waybill-fulfilment:*]",  # DescribeExecution on the machine's own executions
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:"
    "execution:Waybill-refunds:*]",
    # the ops view searches the preparation's log group (its ARN ends in ':*' for its streams)
    "AwsSolutions-IAM5[Resource::<WorkflowsPreparationLogs7CDA1FDA.Arn>]",
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:"
    "execution:Waybill-returns:*]",
    # objects of the documents bucket (labels, pick lists): keys are per shipment, so only a prefix names them
    "AwsSolutions-IAM5[Resource::<StorageDocumentsCD3FCE94.Arn>/*]",
    # the orders table's search indexes: CDK grants index ARNs by the table's own prefix
    "AwsSolutions-IAM5[Resource::<DataOrders20A4E13F.Arn>/index/*]",
    "AwsSolutions-L1",  # python3.13: the build compiles bytecode for that exact version
    # analytics: Firehose names its objects per delivery, Athena its results per query
    "AwsSolutions-IAM5[Resource::<StorageAnalytics36F9F624.Arn>/*]",
    "AwsSolutions-IAM5[Resource::<StorageAnalytics36F9F624.Arn>/facts/*]",
    "AwsSolutions-IAM5[Resource::<StorageAnalytics36F9F624.Arn>/facts-errors/*]",
    "AwsSolutions-IAM5[Resource::<StorageAnalytics36F9F624.Arn>/athena-results/*]",
    "AwsSolutions-SMG4",  # Stripe keys are rolled in Stripe, not by a rotation Lambda
    # the console's distribution: no geo restriction, no WAF, CloudFront's default certificate
    "AwsSolutions-CFR1",
    "AwsSolutions-CFR2",
    "AwsSolutions-CFR4",
    # CDK's BucketDeployment handler, which copies the console's files into its bucket
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
    "AwsSolutions-IAM5[Action::s3:GetBucket*]",
    "AwsSolutions-IAM5[Action::s3:GetObject*]",
    "AwsSolutions-IAM5[Action::s3:List*]",
    "AwsSolutions-IAM5[Action::s3:Abort*]",
    "AwsSolutions-IAM5[Action::s3:DeleteObject*]",
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]",
    "AwsSolutions-IAM5[Resource::<ConsoleFiles2D43986C.Arn>/*]",
}


def acknowledgements(template: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(logical id, rule id, reason) for every acknowledgement cdk-nag wrote into the template."""
    return [
        (lid, rule["id"], rule.get("reason", ""))
        for lid, resource in template["Resources"].items()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    ]


def violations(outdir: Path) -> list[dict[str, Any]]:
    report = json.loads((outdir / "validation-report.json").read_text())
    return [v for plugin in report["pluginReports"] for v in plugin["violations"]]


def test_synth_has_no_unacknowledged_findings(synth: Synthesized) -> None:
    # the synth would have failed; the report CDK writes says the same.
    assert violations(synth.outdir) == []


def test_every_acknowledgement_has_a_specific_reason(synth: Synthesized) -> None:
    acks = acknowledgements(synth.template)
    assert acks, "cdk-nag's acknowledgements are written to the template's Metadata"
    for lid, rule, reason in acks:
        assert len(reason.strip()) >= 40, f"{lid} {rule}: reason too short: {reason!r}"
    assert {rule for _, rule, _ in acks} == ACKNOWLEDGED


def test_public_routes_are_exactly_those_with_a_written_reason(synth: Synthesized) -> None:
    public = {(r.method, r.path) for f in topology.FUNCTIONS for r in f.routes if not r.authorized}
    assert public <= set(PUBLIC_ROUTE_REASONS)
    methods = synth.resources("AWS::ApiGateway::Method")
    apig4 = [lid for lid, rule, _ in acknowledgements(synth.template) if rule == "AwsSolutions-APIG4"]
    assert len([lid for lid in apig4 if lid in methods]) == len(public)


def test_an_unacknowledged_finding_fails_synth(tmp_path: Path) -> None:
    """A public route nobody gave a reason for, and a queue without TLS or a DLQ, must stop synth."""
    from aws_cdk import aws_sqs as sqs

    import infra.stack

    base = topology.function("orders_api")
    status_route = topology.Route("GET", "/v1/status", authorized=False)
    orders_api = dataclasses.replace(base, triggers=(*base.triggers, status_route))
    spec = Spec.from_topology()
    spec = dataclasses.replace(spec, functions=tuple(orders_api if f is base else f for f in spec.functions))

    original = infra.stack.WaybillStack._outputs

    def with_bad_queue(self: infra.stack.WaybillStack) -> None:
        original(self)
        sqs.Queue(self, "Careless")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(infra.stack.WaybillStack, "_outputs", with_bad_queue)
        with pytest.raises(RuntimeError, match="ValidationFailed"):
            synthesize(tmp_path, spec)
    found = {(v["ruleName"], c["constructPath"]) for v in violations(tmp_path) for c in v["violatingConstructs"]}
    assert {rule for rule, _ in found} == {"AwsSolutions-APIG4", "AwsSolutions-SQS3", "AwsSolutions-SQS4"}
    assert ("AwsSolutions-APIG4", "Waybill/Api/RestApi/Default/v1/status/GET/Resource") in found

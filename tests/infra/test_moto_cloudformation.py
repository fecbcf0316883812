"""The synthesized template deploys (CREATE_COMPLETE) in moto's CloudFormation.

moto's CloudFormation does not implement every resource type. Those are stripped, and references to
them replaced by placeholder strings, and the list of stripped types is pinned below: a new unsupported
type in the template (or moto learning one) fails this test instead of silently shrinking what it covers.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.cloudformation.parsing import resource_class_from_type

from shared import topology
from tests.infra.synth import Synthesized

# Resource types in the Waybill template that moto 5.2's CloudFormation cannot create.
MOTO_UNSUPPORTED = {
    "AWS::ApiGateway::Account",
    "AWS::Athena::NamedQuery",
    "AWS::Athena::WorkGroup",
    "AWS::Glue::Database",
    "AWS::Glue::Table",
    "AWS::KinesisFirehose::DeliveryStream",
    "AWS::ApiGateway::Authorizer",
    "AWS::ApiGateway::GatewayResponse",
    "AWS::ApiGateway::RequestValidator",
    "AWS::ApiGateway::Stage",
    "AWS::CloudFront::Distribution",
    "AWS::CloudFront::OriginAccessControl",
    "AWS::CloudFront::ResponseHeadersPolicy",
    "AWS::CloudWatch::Alarm",
    "AWS::S3::BucketPolicy",
    "AWS::SES::Template",
    "AWS::SNS::TopicPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::SecretsManager::Secret",
    # moto would run its handler, which needs Docker
    "Custom::CDKBucketDeployment",
    # moto's API Gateway wants an IntegrationHttpMethod even on a MOCK integration (the CORS preflight)
    "AWS::ApiGateway::Method (MOCK)",
}
ACCOUNT, REGION = "123456789012", "us-east-1"
ASSET_BUCKET = f"cdk-hnb659fds-assets-{ACCOUNT}-{REGION}"


def strip_unsupported(template: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """A copy without the resources moto cannot create, and the types it removed."""
    resources = template["Resources"]
    stripped = {lid for lid, r in resources.items() if _moto_cannot(r)}

    def replace(value: Any) -> Any:
        if isinstance(value, dict):
            if value.get("Ref") in stripped:  # ARN-shaped: a secret's Ref is its ARN
                return f"arn:aws:stripped:{REGION}:{ACCOUNT}:{value['Ref']}"
            get_att = value.get("Fn::GetAtt")
            if isinstance(get_att, list) and get_att[0] in stripped:
                return f"arn:aws:stripped:{REGION}:{ACCOUNT}:{get_att[0]}/{get_att[1]}"
            return {k: replace(v) for k, v in value.items()}
        if isinstance(value, list):
            return [replace(v) for v in value]
        return value

    kept = {}
    for lid, resource in resources.items():
        if lid in stripped:
            continue
        resource = replace(resource)
        depends = resource.get("DependsOn")
        if depends is not None:
            depends = [d for d in ([depends] if isinstance(depends, str) else depends) if d not in stripped]
            resource["DependsOn"] = depends
            if not depends:
                del resource["DependsOn"]
        kept[lid] = resource
    return {**template, "Resources": kept, "Outputs": replace(template.get("Outputs", {}))}, {
        _kind(resources[lid]) for lid in stripped
    }


def _kind(resource: dict[str, Any]) -> str:
    mock = resource.get("Properties", {}).get("Integration", {}).get("Type") == "MOCK"
    return f"{resource['Type']} (MOCK)" if mock else resource["Type"]


def _moto_cannot(resource: dict[str, Any]) -> bool:
    kind = _kind(resource)
    return kind.startswith("Custom::") or kind.endswith("(MOCK)") or resource_class_from_type(kind) is None


def _zip(directory: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(directory).as_posix())
    return buffer.getvalue()


def _publish_assets(synth: Synthesized) -> None:
    """What `cdk deploy` does first: put each asset in the bootstrap bucket, under its object key."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=ASSET_BUCKET)
    for asset in synth.assets.values():
        source = synth.outdir / asset["source"]["path"]
        body = _zip(source) if asset["source"].get("packaging") == "zip" else source.read_bytes()
        for destination in asset["destinations"].values():
            assert destination["bucketName"] == "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"
            s3.put_object(Bucket=ASSET_BUCKET, Key=destination["objectKey"], Body=body)
    # The bootstrap stack's version parameter, which the template's BootstrapVersion parameter reads.
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name="/cdk-bootstrap/hnb659fds/version", Value="30", Type="String"
    )


@pytest.fixture(scope="module")
def deployed(synth: Synthesized) -> Any:
    template, stripped = strip_unsupported(synth.template)
    with mock_aws():
        _publish_assets(synth)
        s3 = boto3.client("s3", region_name=REGION)
        # Like the CLI: the template is too large for TemplateBody (51,200 bytes), so it goes via S3.
        s3.put_object(Bucket=ASSET_BUCKET, Key="Waybill.template.json", Body=json.dumps(template).encode())
        cfn = boto3.client("cloudformation", region_name=REGION)
        cfn.create_stack(
            StackName="Waybill",
            TemplateURL=f"https://{ASSET_BUCKET}.s3.amazonaws.com/Waybill.template.json",
            Capabilities=["CAPABILITY_IAM"],
        )
        yield template, stripped, cfn


def test_only_the_pinned_unsupported_types_are_stripped(deployed: Any) -> None:
    _, stripped, _ = deployed
    assert stripped == MOTO_UNSUPPORTED


def test_stack_creates(deployed: Any) -> None:
    template, _, cfn = deployed
    stack = cfn.describe_stacks(StackName="Waybill")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    created = cfn.list_stack_resources(StackName="Waybill")["StackResourceSummaries"]
    assert Counter(r["ResourceType"] for r in created) == Counter(r["Type"] for r in template["Resources"].values())
    assert all(r["ResourceStatus"] == "CREATE_COMPLETE" for r in created)


def test_created_resources_behave(deployed: Any) -> None:
    """A few reads through the real APIs that what CloudFormation made is what the template says."""
    lambda_ = boto3.client("lambda", region_name=REGION)
    # (and CDK's BucketDeployment handler, which copies the console's files)
    functions = [f for f in lambda_.list_functions()["Functions"] if "CDKBucketDeployment" not in f["FunctionName"]]
    assert len(functions) == len(topology.FUNCTIONS)
    assert {f["Handler"] for f in functions} == {f.handler for f in topology.FUNCTIONS}
    # (moto's CloudFormation drops Architectures; test_template checks arm64.)
    assert {f["Runtime"] for f in functions} == {"python3.13"}
    assert len(lambda_.list_event_source_mappings()["EventSourceMappings"]) == sum(
        isinstance(t, topology.QueueTrigger | topology.StreamTrigger) for f in topology.FUNCTIONS for t in f.triggers
    )
    assert len(boto3.client("dynamodb", region_name=REGION).list_tables()["TableNames"]) == len(topology.TABLES)
    machines = boto3.client("stepfunctions", region_name=REGION).list_state_machines()["stateMachines"]
    assert {m["name"] for m in machines} == {f"Waybill-{m.name}" for m in topology.STATE_MACHINES}
    sqs = boto3.client("sqs", region_name=REGION)
    urls = sqs.list_queues()["QueueUrls"]
    attributes = [sqs.get_queue_attributes(QueueUrl=u, AttributeNames=["All"])["Attributes"] for u in urls]
    # each topology queue and its DLQ, and the DLQ of each function a schedule invokes
    scheduled = [f for f in topology.FUNCTIONS if any(isinstance(t, topology.ScheduleTrigger) for t in f.triggers)]
    assert len(urls) == 2 * len(topology.QUEUES) + len(scheduled)
    assert sum("RedrivePolicy" in a for a in attributes) == len(topology.QUEUES)

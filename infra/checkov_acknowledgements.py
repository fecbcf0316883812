"""Every checkov finding on the synthesized template that this stack accepts, each with its reason.

tests/infra/test_checkov.py runs checkov (3.3, offline) on the template and fails on any failed check
not matched here, printing the line to add. An entry matches a finding by check id and a glob on
checkov's resource name, `<CloudFormation type>.<logical id>` (for example `AWS::Lambda::Function.*`
or `AWS::S3::Bucket.StorageAccessLogs*`). Match as narrowly as the reason is true: a new resource
with the same finding for a different reason should fail the test. An entry that matches nothing
fails the test too, so the list stays exactly what the template needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from infra.constructs.nag import PUBLIC_ROUTE_REASONS


@dataclass(frozen=True)
class Acknowledgement:
    check_id: str
    resource: str  # glob on "<type>.<logical id>"
    reason: str


NO_CMK = (
    "Encrypted at rest with the service's AWS-managed or AWS-owned key. A customer-managed KMS key costs "
    "$1/month each plus requests and buys key-policy control that this single-account stack does not need; "
    "revisit for cross-account access or a compliance regime that requires CMKs."
)
_SYNC = (
    "Invoked synchronously (API Gateway, a Step Functions task, an SQS event source mapping), where Lambda "
    "never uses a function DLQ: the caller sees the failure and retries or catches it, and queue messages "
    "go to the queue's own DLQ. Functions invoked asynchronously (schedules) get a DLQ, which passes this "
    "check; tests/infra/test_template.py asserts it."
)


def _method(method: str, path: str) -> str:
    # CDK names an API method's logical id after its path with punctuation removed, then the verb.
    return f"AWS::ApiGateway::Method.ApiRestApi{re.sub(r'[^A-Za-z0-9]', '', path)}{method}*"


ACKNOWLEDGED: tuple[Acknowledgement, ...] = (
    Acknowledgement("CKV_AWS_116", "AWS::Lambda::Function.*", _SYNC),
    Acknowledgement(
        "CKV_AWS_115",
        "AWS::Lambda::Function.*",
        "No reserved concurrency: it is carved out of the account's pool (new accounts have 10 in total, "
        "and 10 must stay unreserved, so any reservation fails the deploy there). Load is bounded upstream: "
        "API stage throttling (100 rps, burst 200), SQS batch sizes, Step Functions; throttles alarm.",
    ),
    Acknowledgement(
        "CKV_AWS_117",
        "AWS::Lambda::Function.*",
        "No VPC: every dependency (DynamoDB, SQS, S3, Step Functions, SES, Secrets Manager, Stripe) is reached "
        "over TLS with IAM or an API key; a VPC would add NAT gateways (~$32/month each) or endpoints for no "
        "private resource to protect.",
    ),
    Acknowledgement(
        "CKV_AWS_173",
        "AWS::Lambda::Function.*",
        "The environment holds resource names and settings only (table, queue, bucket, secret names; "
        "timeouts); secrets are read from Secrets Manager at run time. Lambda encrypts it at rest with its "
        "AWS-managed key.",
    ),
    Acknowledgement("CKV_AWS_158", "AWS::Logs::LogGroup.*", f"{NO_CMK} Logs mask personal data (Powertools)."),
    Acknowledgement("CKV_AWS_119", "AWS::DynamoDB::Table.*", NO_CMK),
    Acknowledgement("CKV_AWS_149", "AWS::SecretsManager::Secret.*", f"{NO_CMK} (aws/secretsmanager)"),
    Acknowledgement(
        "CKV_AWS_27",
        "AWS::SQS::Queue.*",
        "Every queue is encrypted with SSE-SQS (SqsManagedSseEnabled: true, asserted by "
        "tests/infra/test_template.py); this check only recognises a KMS key (KmsMasterKeyId).",
    ),
    Acknowledgement(
        "CKV_AWS_26",
        "AWS::SNS::Topic.MonitoringAlarmTopic*",
        "The alarm topic carries CloudWatch alarm state changes only (no customer data). CloudWatch cannot "
        "publish to a topic encrypted with the AWS-managed aws/sns key, so encryption would need a CMK "
        "($1/month); the topic refuses non-TLS publishing.",
    ),
    Acknowledgement(
        "CKV_AWS_120",
        "AWS::ApiGateway::Stage.*",
        "No API cache: responses are per caller and per order and change as orders move (a cache would serve "
        "stale state), and the smallest cache is billed by the hour (~$14/month).",
    ),
    Acknowledgement(
        "CKV_AWS_18",
        "AWS::S3::Bucket.StorageAccessLogs*",
        "This is the access-log bucket the other buckets log to; logging it into itself would loop.",
    ),
    Acknowledgement(
        "CKV_AWS_68",
        "AWS::CloudFront::Distribution.ConsoleDistribution*",
        "No WAF web ACL on the console: it serves static files holding no data (GET/HEAD from a private "
        "bucket); the API it calls is throttled per stage and needs an ops or finance key.",
    ),
    Acknowledgement(
        "CKV_AWS_174",
        "AWS::CloudFront::Distribution.ConsoleDistribution*",
        "CloudFront's default certificate (no custom domain yet) has a security policy CloudFront fixes at "
        "TLSv1; viewers are HTTPS only. A custom domain with an ACM certificate would allow TLSv1.2_2021.",
    ),
    Acknowledgement(
        "CKV_AWS_111",
        "AWS::IAM::Policy.CustomCDKBucketDeployment*",
        "CDK's BucketDeployment handler (it copies the console's files): writes are on the console bucket's "
        "objects only; the one '*' is cloudfront:CreateInvalidation, which has no resource-level permission.",
    ),
    *(
        Acknowledgement("CKV_AWS_59", _method(method, path), f"{method} {path} is public: {reason}")
        for (method, path), reason in PUBLIC_ROUTE_REASONS.items()
    ),
)

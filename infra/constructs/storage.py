"""S3 buckets, one per topology Bucket, plus the bucket that receives their server access logs."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra import metadata
from infra.naming import pascal
from shared.topology import Bucket


class Storage(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, buckets: tuple[Bucket, ...]) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            # Access logs are for audits and incidents; a year bounds their cost.
            lifecycle_rules=[
                s3.LifecycleRule(expiration=Duration.days(365), noncurrent_version_expiration=Duration.days(30))
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.buckets: dict[str, s3.Bucket] = {}
        for spec in buckets:
            bucket = s3.Bucket(
                self,
                pascal(spec.name),
                encryption=s3.BucketEncryption.S3_MANAGED,
                enforce_ssl=True,
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
                versioned=True,
                server_access_logs_bucket=self.access_logs,
                server_access_logs_prefix=f"{spec.name}/",
                # Versioning protects labels and finance reports from overwrites; old versions expire.
                lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=Duration.days(90))],
                removal_policy=RemovalPolicy.RETAIN,
            )
            metadata.tag(bucket, metadata.BUCKET, spec.name)
            self.buckets[spec.name] = bucket

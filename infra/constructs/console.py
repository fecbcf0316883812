"""The console: its files in a private S3 bucket, read only by CloudFront through origin access
control, served over TLS only with security headers (a Content-Security-Policy that allows the API's
origin and nothing else). The files are console/ as it is, its config.json and the state machines'
graphs derived from statemachines/, as the local gateway serves them."""

from __future__ import annotations

import json

import jsii
from aws_cdk import Duration, IStableStringProducer, Lazy, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as deployment
from constructs import Construct

from infra.spec import REPO_ROOT
from shared import topology as t
from shared.console_site import CONSOLE_DIR, console_config, content_security_policy, workflow_graph


@jsii.implements(IStableStringProducer)
class LaterOrigin:
    """The console's origin before its distribution exists: the API is built first (the console's
    config names the API), and its CORS answers name this origin once the console sets it."""

    def __init__(self) -> None:
        self.value: str | None = None

    def produce(self) -> str | None:
        if self.value is None:
            raise ValueError("the console's origin was never set (Console was not built)")
        return self.value

    def token(self) -> str:
        return Lazy.string(self)


class Console(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api: apigw.RestApi,
        access_logs: s3.IBucket,
        origin: LaterOrigin,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.bucket = s3.Bucket(
            self,
            "Files",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="console/",
            lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=Duration.days(30))],
            # every file is rebuilt from the repository on deploy
            removal_policy=RemovalPolicy.DESTROY,
        )
        # CloudFront's standard logs are written with ACLs, which the other buckets disable.
        self.logs = s3.Bucket(
            self,
            "Logs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            versioned=True,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="console-cdn-logs/",
            lifecycle_rules=[
                s3.LifecycleRule(expiration=Duration.days(365), noncurrent_version_expiration=Duration.days(30))
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        api_origin = f"https://{api.rest_api_id}.execute-api.{stack.region}.{stack.url_suffix}"
        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "Headers",
            comment="Waybill console: CSP (own origin and the API only), HSTS, no framing, no sniffing",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy(api_origin), override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(365), include_subdomains=True, override=True
                ),
            ),
            custom_headers_behavior=cloudfront.ResponseCustomHeadersBehavior(
                custom_headers=[
                    cloudfront.ResponseCustomHeader(
                        header="Cross-Origin-Opener-Policy", value="same-origin", override=True
                    )
                ]
            ),
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="Waybill console",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=headers,
                compress=True,
            ),
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            enable_logging=True,
            log_bucket=self.logs,
            log_file_prefix="cloudfront/",
        )
        self.origin = f"https://{self.distribution.distribution_domain_name}"
        origin.value = self.origin
        graphs = [
            deployment.Source.json_data(
                f"statemachines/{m.name}.json", workflow_graph(json.loads((REPO_ROOT / m.definition_path).read_text()))
            )
            for m in t.STATE_MACHINES
        ]
        self.deployment = deployment.BucketDeployment(
            self,
            "Deploy",
            sources=[
                deployment.Source.asset(str(REPO_ROOT / CONSOLE_DIR)),
                deployment.Source.json_data(
                    "config.json", console_config(api=f"{api_origin}/{api.deployment_stage.stage_name}")
                ),
                *graphs,
            ],
            destination_bucket=self.bucket,
            distribution=self.distribution,
            distribution_paths=["/*"],
            prune=True,
            memory_limit=256,
        )

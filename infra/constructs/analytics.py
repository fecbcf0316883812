"""Analytics: the fact store's Firehose delivery stream into S3 (hourly folders, Firehose's default
layout), the Glue table over it with partition projection, and the Athena workgroup with every report
as a named query. The reports are the SQL files in shared/analytics/reports/."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_s3 as s3
from constructs import Construct

from shared.analytics import catalog
from shared.analytics.scope import FACT_ROWS, all_facts
from shared.domain.facts import COLUMNS
from shared.topology import FactStore

RESULTS_PREFIX = "athena-results/"
ERRORS_PREFIX = "facts-errors/"
# A report that would read more than this is cancelled: the range bounds protect, this caps.
SCAN_LIMIT_BYTES = 10 * 1024**3


class Analytics(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, store: FactStore, bucket: s3.IBucket) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.bucket = bucket
        self.prefix = store.prefix
        self.database_name = f"{stack.stack_name.lower()}_{store.name}"
        self.workgroup_name = f"{stack.stack_name.lower()}-{store.name}"
        # Firehose's own role: write the bucket's fact and error prefixes, nothing else
        role = iam.Role(
            self,
            "DeliveryRole",
            assumed_by=iam.ServicePrincipal("firehose.amazonaws.com"),
            description="Waybill analytics facts: Firehose delivers to the fact prefixes of the analytics bucket",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:AbortMultipartUpload"],
                resources=[bucket.arn_for_objects(f"{store.prefix}*"), bucket.arn_for_objects(f"{ERRORS_PREFIX}*")],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                resources=[bucket.bucket_arn],
            )
        )
        self.delivery_role = role
        self.delivery_stream = firehose.CfnDeliveryStream(
            self,
            "Facts",
            delivery_stream_type="DirectPut",
            delivery_stream_encryption_configuration_input=firehose.CfnDeliveryStream.DeliveryStreamEncryptionConfigurationInputProperty(
                key_type="AWS_OWNED_CMK"
            ),
            extended_s3_destination_configuration=firehose.CfnDeliveryStream.ExtendedS3DestinationConfigurationProperty(
                bucket_arn=bucket.bucket_arn,
                role_arn=role.role_arn,
                # without an expression in it, Firehose appends its default yyyy/MM/dd/HH/ (UTC)
                prefix=store.prefix,
                error_output_prefix=ERRORS_PREFIX + "!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/",
                buffering_hints=firehose.CfnDeliveryStream.BufferingHintsProperty(
                    interval_in_seconds=60, size_in_m_bs=64
                ),
                compression_format="UNCOMPRESSED",
            ),
        )
        self.delivery_stream.node.add_dependency(role)
        self.delivery_stream_name = self.delivery_stream.ref
        self.delivery_stream_arn = self.delivery_stream.attr_arn
        database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=stack.account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=self.database_name, description="Waybill analytics facts"
            ),
        )
        location = f"s3://{bucket.bucket_name}/{store.prefix}"
        table = glue.CfnTable(
            self,
            "FactRows",
            catalog_id=stack.account,
            database_name=self.database_name,
            table_input=glue.CfnTable.TableInputProperty(
                name=FACT_ROWS,
                description="One row per lifecycle fact; dt is the hour Firehose delivered it (UTC)",
                table_type="EXTERNAL_TABLE",
                partition_keys=[glue.CfnTable.ColumnProperty(name="dt", type="string")],
                parameters={
                    "classification": "json",
                    "projection.enabled": "true",
                    "projection.dt.type": "date",
                    "projection.dt.format": "yyyy/MM/dd/HH",
                    "projection.dt.range": "2025/01/01/00,NOW",
                    "projection.dt.interval": "1",
                    "projection.dt.interval.unit": "HOURS",
                    "storage.location.template": location + "${dt}/",
                },
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    location=location,
                    columns=[glue.CfnTable.ColumnProperty(name=n, type=t) for n, t in COLUMNS],
                    input_format="org.apache.hadoop.mapred.TextInputFormat",
                    output_format="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                    serde_info=glue.CfnTable.SerdeInfoProperty(
                        serialization_library="org.openx.data.jsonserde.JsonSerDe",
                        parameters={"timestamp.formats": "yyyy-MM-dd HH:mm:ss.SSS"},
                    ),
                ),
            ),
        )
        table.node.add_dependency(database)
        workgroup = athena.CfnWorkGroup(
            self,
            "WorkGroup",
            name=self.workgroup_name,
            description="Waybill analytics reports",
            state="ENABLED",
            recursive_delete_option=True,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=SCAN_LIMIT_BYTES,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(
                    selected_engine_version="Athena engine version 3"
                ),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{bucket.bucket_name}/{RESULTS_PREFIX}",
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_S3"
                    ),
                ),
            ),
        )
        self.workgroup = workgroup
        for report in catalog.reports().values():
            query = athena.CfnNamedQuery(
                self,
                f"Report{report.name.title().replace('_', '')}",
                name=report.name,
                description=report.title,
                database=self.database_name,
                work_group=workgroup.ref,
                # the report over every stored fact, one row per fact id; the API scopes it by range
                query_string=all_facts(report.sql),
            )
            query.node.add_dependency(workgroup)

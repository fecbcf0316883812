"""DynamoDB tables, one per topology Table."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from infra import metadata
from infra.naming import pascal
from shared.topology import Table

_S = dynamodb.AttributeType.STRING


class DataTables(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, tables: tuple[Table, ...], streamed: frozenset[str] = frozenset()
    ) -> None:
        super().__init__(scope, construct_id)
        self.tables: dict[str, dynamodb.Table] = {}
        for spec in tables:
            table = dynamodb.Table(
                self,
                pascal(spec.name),
                partition_key=dynamodb.Attribute(name=spec.partition_key, type=_S),
                sort_key=dynamodb.Attribute(name=spec.sort_key, type=_S) if spec.sort_key else None,
                time_to_live_attribute=spec.ttl_attribute,
                billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
                point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True
                ),
                # AWS-managed key: encrypted and auditable in CloudTrail, no $1/month customer key.
                encryption=dynamodb.TableEncryption.AWS_MANAGED,
                # Orders, ledger and keys outlive a stack deletion.
                removal_policy=RemovalPolicy.RETAIN,
                # a function reads this table's changes (analytics facts): old and new images
                stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES if spec.name in streamed else None,
            )
            for index_name, pk, sk in spec.indexes:
                included = spec.projected(index_name)
                table.add_global_secondary_index(
                    index_name=index_name,
                    partition_key=dynamodb.Attribute(name=pk, type=_S),
                    sort_key=dynamodb.Attribute(name=sk, type=_S) if sk else None,
                    # keys (and a few small attributes): a reader fetches the items it found by key,
                    # so no write copies a document
                    projection_type=dynamodb.ProjectionType.INCLUDE if included else dynamodb.ProjectionType.KEYS_ONLY,
                    non_key_attributes=list(included) or None,
                )
            metadata.tag(table, metadata.TABLE, spec.name)
            self.tables[spec.name] = table

"""CloudFormation Metadata keys that name each resource after its topology declaration.

They let tests (and people reading the template) map a generated logical id back to the topology
name without depending on CDK's id scheme.
"""

from __future__ import annotations

from typing import cast

from aws_cdk import CfnResource
from constructs import IConstruct

FUNCTION = "waybill:function"
TABLE = "waybill:table"
QUEUE = "waybill:queue"
DEAD_LETTER_QUEUE = "waybill:dead_letter_queue"
TOPIC = "waybill:topic"
BUCKET = "waybill:bucket"
SECRET = "waybill:secret"  # noqa: S105 -- a metadata key, not a password
EMAIL_TEMPLATE = "waybill:email_template"
STATE_MACHINE = "waybill:state_machine"
SCHEDULE = "waybill:schedule"
ALARM = "waybill:alarm"
# the dead-letter queue of an asynchronously invoked function, named after the function
FUNCTION_DLQ = "waybill:function_dlq"


def tag(construct: IConstruct, key: str, name: str) -> None:
    """Adds `{key: name}` to the Metadata of the construct's CloudFormation resource."""
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    cast(CfnResource, resource).add_metadata(key, name)

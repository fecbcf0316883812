"""The Waybill stack: every resource shared/topology.py declares, one construct per concern."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.constructs import nag
from infra.constructs.analytics import Analytics
from infra.constructs.api import Api
from infra.constructs.console import Console, LaterOrigin
from infra.constructs.data import DataTables
from infra.constructs.email import EmailTemplates
from infra.constructs.functions import Functions, Resources
from infra.constructs.messaging import Messaging
from infra.constructs.monitoring import Monitoring
from infra.constructs.schedules import Schedules
from infra.constructs.secrets import Secrets
from infra.constructs.storage import Storage
from infra.constructs.workflows import Workflows
from infra.naming import pascal
from infra.spec import DEFAULT_SENDER_EMAIL, Spec
from shared.topology import StreamTrigger

STACK_NAME = "Waybill"


class WaybillStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str = STACK_NAME, *, spec: Spec | None = None, **kwargs: Any
    ) -> None:
        # Unindented, the template is a quarter smaller (620 KB, not 824 KB): further from
        # CloudFormation's 1 MB limit, at which point it must be split into nested stacks.
        kwargs.setdefault("suppress_template_indentation", True)
        super().__init__(scope, construct_id, description="Waybill order management system", **kwargs)
        spec = spec or Spec.from_topology()
        self.sender_email: str = self.node.try_get_context("senderEmail") or DEFAULT_SENDER_EMAIL
        streamed = frozenset(t.table.name for f in spec.functions for t in f.triggers if isinstance(t, StreamTrigger))
        self.data = DataTables(self, "Data", tables=spec.tables, streamed=streamed)
        self.messaging = Messaging(self, "Messaging", queues=spec.queues, topics=spec.topics)
        self.storage = Storage(self, "Storage", buckets=spec.buckets)
        self.secrets = Secrets(self, "Secrets", secrets=spec.secrets)
        self.email = EmailTemplates(self, "Email", email_templates=spec.email_templates)
        self.analytics = {
            store.name: Analytics(self, "Analytics", store=store, bucket=self.storage.buckets[store.bucket.name])
            for store in spec.fact_stores
        }
        # the console is built after the API it names; the functions and the API's CORS name it before
        console_origin = LaterOrigin()
        resources = Resources(
            tables=self.data.tables,
            queues=self.messaging.queues,
            topics=self.messaging.topics,
            dead_letter_queues=self.messaging.dead_letter_queues,
            buckets=self.storage.buckets,
            secrets=self.secrets.secrets,
            secret_names=self.secrets.names,
            email_templates=self.email.template_names,
            sender_email=self.sender_email,
            browser_origin=console_origin.token(),
            fact_stores=self.analytics,
            shop={
                env: str(value)
                for env, context in (("SHOP_NAME", "shopName"), ("EMAIL_FROM_NAME", "senderName"))
                if (value := self.node.try_get_context(context))
            },
        )
        self.functions = Functions(self, "Functions", functions=spec.functions, resources=resources)
        lambdas = self.functions.functions
        self.workflows = Workflows(
            self, "Workflows", state_machines=spec.state_machines, functions=spec.functions, lambdas=lambdas
        )
        self.functions.bind_state_machines(self.workflows.state_machines, self.workflows.log_groups)
        self.api = Api(self, "Api", functions=spec.functions, lambdas=lambdas, browser_origin=console_origin.token())
        self.console = Console(
            self, "Console", api=self.api.rest_api, access_logs=self.storage.access_logs, origin=console_origin
        )
        self.schedules = Schedules(
            self,
            "Schedules",
            functions=spec.functions,
            lambdas=lambdas,
            failure_queues=self.functions.failure_queues,
        )
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            prefix=self.stack_name,
            queues={n: (q, self.messaging.dead_letter_queues[n]) for n, q in self.messaging.queues.items()},
            state_machines={n: machine for n, (machine, _) in self.workflows.state_machines.items()},
            functions=lambdas,
            function_dlqs=self.functions.failure_queues,
            topics=self.messaging.topics,
        )
        self._outputs()
        nag.acknowledge_findings(self)

    def _outputs(self) -> None:
        CfnOutput(self, "ApiUrl", value=self.api.rest_api.url, description="Base URL of HTTP API v1")
        CfnOutput(self, "ConsoleUrl", value=f"{self.console.origin}/", description="The Waybill console")
        CfnOutput(self, "SenderEmail", value=self.sender_email, description="SES identity to verify")
        for name, secret_name in self.secrets.names.items():
            CfnOutput(self, f"{pascal(name)}SecretName", value=secret_name, description="Set its value")
        keys = self.data.tables["api_keys"]
        CfnOutput(self, "ApiKeysTableName", value=keys.table_name, description="waybill keys create --table")

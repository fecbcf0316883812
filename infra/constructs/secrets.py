"""Secrets Manager secrets, one per topology Secret (the Stripe key)."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra import metadata
from infra.naming import pascal
from shared.topology import Secret


class Secrets(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, secrets: tuple[Secret, ...]) -> None:
        super().__init__(scope, construct_id)
        self.secrets: dict[str, secretsmanager.Secret] = {}
        # topology name -> physical secret name, a plain string (not parsed out of the ARN at deploy)
        self.names: dict[str, str] = {}
        stack_name = Stack.of(self).stack_name
        for spec in secrets:
            # A fixed name ("Waybill/stripe") so operators can set the value with one CLI command.
            name = f"{stack_name}/{spec.name}"
            secret = secretsmanager.Secret(
                self,
                pascal(spec.name),
                secret_name=name,
                description=spec.description,
                # Created with a random placeholder; the real value is set out of band, never in a template.
            )
            metadata.tag(secret, metadata.SECRET, spec.name)
            self.secrets[spec.name] = secret
            self.names[spec.name] = name

"""SES templates, one per topology EmailTemplate, from the files shared/email/templates/ holds."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_ses as ses
from constructs import Construct

from infra import metadata
from infra.naming import pascal
from shared.email import templates
from shared.topology import EmailTemplate


class EmailTemplates(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, email_templates: tuple[EmailTemplate, ...]) -> None:
        super().__init__(scope, construct_id)
        # template name -> SES template name (unique per account and region, so prefixed by the stack)
        self.template_names: dict[str, str] = {}
        stack_name = Stack.of(self).stack_name
        for spec in email_templates:
            parts = templates.load(spec.name)
            name = f"{stack_name}-{spec.name}"
            template = ses.CfnTemplate(
                self,
                pascal(spec.name),
                template=ses.CfnTemplate.TemplateProperty(
                    template_name=name,
                    subject_part=parts.subject,
                    html_part=parts.html,
                    text_part=parts.text,
                ),
            )
            metadata.tag(template, metadata.EMAIL_TEMPLATE, spec.name)
            self.template_names[spec.name] = name

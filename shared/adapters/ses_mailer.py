"""Mailer on SES templates (v1 API: SES v2 templates do not run on moto)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared.domain.errors import EmailProviderUnavailable

if TYPE_CHECKING:
    from mypy_boto3_ses import SESClient

_TRANSIENT = {"Throttling", "ThrottlingException", "ServiceUnavailable", "InternalFailure"}


def template_data(shop_name: str, data: dict[str, Any]) -> dict[str, Any]:
    """What a template is rendered with: the use case's data and the shop's name."""
    return {"shop_name": shop_name, **data}


class SesMailer:
    def __init__(self, client: SESClient, sender: str, shop_name: str = "") -> None:
        self._ses = client
        self._sender = sender  # "Display Name <address>" or an address
        self._shop_name = shop_name

    def send(self, template: str, to: str, data: dict[str, Any]) -> str:
        try:
            answer = self._ses.send_templated_email(
                Source=self._sender,
                Destination={"ToAddresses": [to]},
                Template=template,
                TemplateData=json.dumps(template_data(self._shop_name, data)),
            )
        except ClientError as err:
            if err.response["Error"]["Code"] in _TRANSIENT:
                raise EmailProviderUnavailable(str(err)) from err
            raise
        return answer["MessageId"]

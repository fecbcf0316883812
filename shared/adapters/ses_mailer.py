"""Mailer on SES templates (v1 API: SES v2 templates do not run on moto)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared.domain.errors import EmailProviderUnavailable

if TYPE_CHECKING:
    from mypy_boto3_ses import SESClient

_TRANSIENT = {"Throttling", "ThrottlingException", "ServiceUnavailable", "InternalFailure"}


class SesMailer:
    def __init__(self, client: SESClient, sender: str, shop_name: str = "") -> None:
        self._ses = client
        self._sender = sender  # "Display Name <address>" or an address
        self._shop = {"shop_name": shop_name} if shop_name else {}

    def send(self, template: str, to: str, data: dict[str, Any]) -> str:
        try:
            answer = self._ses.send_templated_email(
                Source=self._sender,
                Destination={"ToAddresses": [to]},
                Template=template,
                TemplateData=json.dumps({"shop_name": "", **self._shop, **data}),
            )
        except ClientError as err:
            if err.response["Error"]["Code"] in _TRANSIENT:
                raise EmailProviderUnavailable(str(err)) from err
            raise
        return answer["MessageId"]

"""The built-in sandbox carrier: quotes from the sandbox rate sheet, UPS-format tracking numbers and a
4x6 label PDF in the documents bucket. Nothing is shipped; everything else behaves like a carrier.

One label per shipment, ever: the label lives at labels/{shipment_id}.pdf with its fields in the
object's metadata. `buy` returns the stored label when there is one, and writes with If-None-Match
so two concurrent purchases for one shipment store one label. The tracking number is derived from
the shipment id, so even a purchase whose answer was lost prints the same number when retried.

Test instructions for the simulators (outage drills, not configuration):
- an address (sender or recipient) whose `line2` contains "sim:carrier-down" makes every quote and purchase for it raise
  CarrierUnavailable, which proves that a carrier down through all retries ends in EXCEPTION;
- `failure_rate` (0.0 to 1.0) makes that share of calls raise CarrierUnavailable at random.
S3 throttling, 5xx answers and connection errors are reported as CarrierUnavailable too.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from shared.domain.shipping import (
    CarrierRejected,
    CarrierUnavailable,
    Label,
    LabelRequest,
    RateQuote,
    sandbox_quotes,
    sandbox_tracking_number,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CARRIER_DOWN = "sim:carrier-down"
TRACKING_URL = "https://www.ups.com/track?loc=en_US&tracknum={number}"
_TRANSIENT = {"Throttling", "ThrottlingException", "SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout"}
_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}


def label_key(shipment_id: str) -> str:
    return f"labels/{shipment_id}.pdf"


class SandboxCarrier:
    name = "sandbox"

    def __init__(
        self,
        s3_client: S3Client,
        bucket: str,
        failure_rate: float = 0.0,
        rng: random.Random | None = None,
        tracking_url: str = TRACKING_URL,
    ) -> None:
        if not 0.0 <= failure_rate <= 1.0:
            raise ValueError(f"failure_rate must be between 0 and 1, got {failure_rate}")
        self._s3 = s3_client
        self._bucket = bucket
        self._failure_rate = failure_rate
        # Not cryptography: only decides which simulated calls fail.
        self._rng = rng or random.Random()  # noqa: S311
        self._tracking_url = tracking_url

    def quote(self, request: LabelRequest) -> list[RateQuote]:
        self._simulate_outage(request)
        return sandbox_quotes(request, self.name)

    def buy(self, request: LabelRequest, quote: RateQuote) -> Label:
        self._simulate_outage(request)
        key = label_key(request.shipment_id)
        existing = self._stored(key)
        if existing is not None:
            return existing
        if quote.carrier != self.name:
            raise CarrierRejected(f"quote is from carrier {quote.carrier!r}, not {self.name!r}")
        sandbox_quotes(request, self.name)  # the parcel limits apply to a purchase as much as to a quote
        number = sandbox_tracking_number(request.shipment_id, quote.service)  # CarrierRejected: unknown service
        label = Label(
            carrier=self.name,
            service=quote.service,
            tracking_number=number,
            tracking_url=self._tracking_url.format(number=number),
            amount=quote.amount,
            currency=quote.currency,
            document_key=key,
        )
        # Imported here: fpdf2 and fontTools take ~0.7 s to import, paid only by a call that draws a label.
        from shared.documents.label_pdf import render_label

        if self._store(label, render_label(request, label)):
            return label
        # Someone bought it between our look and our write: theirs is the label.
        stored = self._stored(key)
        if stored is None:
            raise CarrierUnavailable(f"label {key} was written concurrently but cannot be read yet")
        return stored

    def _simulate_outage(self, request: LabelRequest) -> None:
        if any(CARRIER_DOWN in (party.line2 or "") for party in (request.ship_from, request.ship_to)):
            raise CarrierUnavailable(f"sandbox carrier is down for this address ({CARRIER_DOWN})")
        if self._failure_rate and self._rng.random() < self._failure_rate:
            raise CarrierUnavailable("sandbox carrier failed at random (failure_rate)")

    def _stored(self, key: str) -> Label | None:
        try:
            head = self._s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in _NOT_FOUND:
                return None
            raise _translate(err) from err
        except BotoCoreError as err:
            raise CarrierUnavailable(str(err)) from err
        meta = head["Metadata"]
        return Label(
            carrier=meta["carrier"],
            service=meta["service"],
            tracking_number=meta["tracking-number"],
            tracking_url=meta["tracking-url"],
            amount=int(meta["amount"]),
            currency=meta["currency"],
            document_key=key,
        )

    def _store(self, label: Label, pdf: bytes) -> bool:
        """True if written; False if a label was already there."""
        try:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=label.document_key,
                Body=pdf,
                ContentType="application/pdf",
                IfNoneMatch="*",
                Metadata={
                    "carrier": label.carrier,
                    "service": label.service,
                    "tracking-number": label.tracking_number,
                    "tracking-url": label.tracking_url,
                    "amount": str(label.amount),
                    "currency": label.currency,
                },
            )
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in {"PreconditionFailed", "ConditionalRequestConflict"}:
                return False
            raise _translate(err) from err
        except BotoCoreError as err:
            raise CarrierUnavailable(str(err)) from err
        return True


def _translate(err: ClientError) -> Exception:
    """Throttling and 5xx are the carrier being unavailable; anything else is a bug to surface as is."""
    code = err.response.get("Error", {}).get("Code", "")
    status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if code in _TRANSIENT or status >= 500:
        return CarrierUnavailable(str(err))
    return err

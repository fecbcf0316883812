"""Stable paths of HTTP API v1 that messages and answers point at. Unlike a presigned link they never
expire: a document path answers with a redirect to a freshly presigned download. And the AWS
console's page of an execution."""

from __future__ import annotations

from collections.abc import Iterable

SHIPMENT_DOCUMENTS = ("label", "pick_list", "packing_slip")
CONSOLE = "https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{arn}"
# The account of emulators (moto) and of AWS's documentation examples: no console shows its executions.
EMULATED_ACCOUNT = "123456789012"


def shipment_links(shipment_id: str, documents: Iterable[str] = ()) -> dict[str, str]:
    """Paths under the API's base URL that the node's warehouse key (or ops) may read at any time."""
    base = f"/v1/shipments/{shipment_id}"
    return {"shipment": base, **{kind: f"{base}/documents/{kind}" for kind in documents}}


def console_url(arn: str) -> str | None:
    """The AWS console page of an execution; None for an emulator's execution (the embedded stack)."""
    parts = arn.split(":")
    if len(parts) < 5 or parts[4] == EMULATED_ACCOUNT or ":express:" in arn:
        return None  # an Express execution, recorded by name only: its page needs the id AWS adds
    return CONSOLE.format(region=parts[3], arn=arn)

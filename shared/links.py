"""Stable paths of HTTP API v1 that messages and answers point at. Unlike a presigned link they never
expire: a document path answers with a redirect to a freshly presigned download."""

from __future__ import annotations

from collections.abc import Iterable

SHIPMENT_DOCUMENTS = ("label", "pick_list", "packing_slip")


def shipment_links(shipment_id: str, documents: Iterable[str] = ()) -> dict[str, str]:
    """Paths under the API's base URL that the node's warehouse key (or ops) may read at any time."""
    base = f"/v1/shipments/{shipment_id}"
    return {"shipment": base, **{kind: f"{base}/documents/{kind}" for kind in documents}}

"""The stored shape of an order (JSON), kept apart from the domain object and the API view.

It is derived from the domain types (shared/adapters/dataclass_json.py): a field added to Order,
or to anything it holds, is stored and read back without an edit here. The version lives beside
the document (the repository's optimistic lock), not in it.
"""

from __future__ import annotations

from typing import Any

from shared.adapters.dataclass_json import encode, from_json
from shared.domain.order import Order

SCHEMA_VERSION = 1


def to_document(order: Order) -> dict[str, Any]:
    doc: dict[str, Any] = encode(order)
    del doc["version"]
    return {"schema": SCHEMA_VERSION, **doc}


def from_document(doc: dict[str, Any], version: int) -> Order:
    return from_json(Order, doc, version=version)

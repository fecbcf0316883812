"""Facts from one DynamoDB stream record of the orders or ledger table (raw typed images)."""

from __future__ import annotations

from typing import Any

from shared.adapters.dynamodb_items import keyed
from shared.adapters.dynamodb_ledger import ENTRY_SK, entry_from_item
from shared.adapters.dynamodb_orders import is_order_item, order_from_item
from shared.domain.facts import Fact, new_facts, refund_facts


def _is_ledger_entry(item: dict[str, Any]) -> bool:
    return keyed(item, "KEY#", ENTRY_SK)


def facts_of_record(record: dict[str, Any]) -> list[Fact]:
    """The facts a change adds; none for a removal or for items that are neither orders nor refunds."""
    images = record.get("dynamodb") or {}
    new, old = images.get("NewImage"), images.get("OldImage")
    if not new:
        return []
    if is_order_item(new):
        return new_facts(order_from_item(old) if old else None, order_from_item(new))
    if _is_ledger_entry(new):
        return refund_facts(entry_from_item(old) if old else None, entry_from_item(new))
    return []

"""Who did it: the principal behind a write, as the order's history (the audit trail) records it,
and the stamp other records (nodes, routing policies, stock adjustments, API keys) carry."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from shared.records import record

if TYPE_CHECKING:
    from shared.domain.principal import Principal


@record
class Actor:
    kind: str  # a principal kind: channel, ops, finance, admin, warehouse, carrier
    name: str

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        return cls(principal.kind.value, principal.name)

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


@record
class Stamp:
    """Who wrote a record, when, and why where the write says. Orders keep a whole history
    instead; a node or a policy keeps the stamp of its last change."""

    by: Actor
    at: datetime
    reason: str | None = None

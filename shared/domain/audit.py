"""Who did it: the principal behind a write, as the order's history (the audit trail) records it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.domain.principal import Principal


@dataclass(frozen=True)
class Actor:
    kind: str  # a principal kind: channel, ops, finance, admin, warehouse, carrier
    name: str

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        return cls(principal.kind.value, principal.name)

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"

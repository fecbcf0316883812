"""Who last changed a record, as HTTP API v1 shows it on nodes, policies, adjustments (and who acted,
in an order's history)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from shared.domain.audit import Stamp
from shared.schemas.base import ApiModel


class ActorView(ApiModel):
    kind: str = Field(description="The principal kind: channel, ops, finance, admin, warehouse or carrier")
    name: str


class StampView(ApiModel):
    by: ActorView = Field(description="The principal of the key that made the change")
    at: datetime
    reason: str | None = Field(default=None, description="Why, where the write gave a reason")

    @classmethod
    def of(cls, stamp: Stamp | None) -> StampView | None:
        if stamp is None:
            return None
        return cls(by=ActorView(kind=stamp.by.kind, name=stamp.by.name), at=stamp.at, reason=stamp.reason)

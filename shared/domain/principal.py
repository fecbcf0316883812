"""Who is calling: the principal an API key belongs to."""

from __future__ import annotations

from enum import StrEnum

from shared.records import record


class Kind(StrEnum):
    """Principal kinds an API key can belong to."""

    CHANNEL = "channel"
    WAREHOUSE = "warehouse"
    OPS = "ops"
    FINANCE = "finance"
    ADMIN = "admin"
    # a carrier integration posting tracking events
    CARRIER = "carrier"


@record
class Principal:
    principal_id: str
    kind: Kind
    # for a channel: the channel name its orders are filed under
    name: str
    # for a warehouse: the node ids it may act for
    nodes: tuple[str, ...] = ()
    revoked: bool = False

    def sees_order_of(self, channel: str) -> bool:
        """Channels see only their own orders; ops, finance and admin see all."""
        return self.kind != Kind.CHANNEL or self.name == channel

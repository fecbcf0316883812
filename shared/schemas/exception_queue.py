"""The exception queue's page and the body of an operations action, as HTTP API v1 shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from shared.domain.ops import QueueEntry
from shared.schemas.base import ApiModel
from shared.schemas.order_view import ExceptionView


class QueueEntryView(ApiModel):
    order_id: str | None = Field(description="Null for a `dead_letter` entry, which is about a queue")
    external_id: str | None
    channel: str | None
    type: str = Field(
        description="The type of the order's oldest open exception, which files it in the queue; "
        "`dead_letter` for a dead-letter queue holding messages"
    )
    reason: str
    since: datetime = Field(description="Since when; for `dead_letter`, when its oldest sampled message was sent")
    subject: str | None = Field(
        description="The shipment, RMA or refund it is about (null for the whole order); for `dead_letter`, the queue"
    )
    node_ids: list[str] = Field(description="The nodes the order was routed to or shipped from")
    actions: list[str] = Field(
        description="The actions POST /v1/orders/{order_id}/actions takes for the order as it is now; "
        "`redrive` (POST /v1/ops/dead-letters/{queue}/redrive) for `dead_letter`"
    )
    open_exceptions: list[ExceptionView] = Field(description="Every open exception of the order, this one first")

    @classmethod
    def of(cls, e: QueueEntry) -> QueueEntryView:
        return cls(
            order_id=e.order_id,
            external_id=e.external_id,
            channel=e.channel,
            type=e.type.value,
            reason=e.reason,
            since=e.since,
            subject=e.subject,
            node_ids=list(e.node_ids),
            actions=[a.value for a in e.actions],
            open_exceptions=[ExceptionView.of(x) for x in e.open],
        )


class ExceptionQueuePage(ApiModel):
    exceptions: list[QueueEntryView]
    counts: dict[str, int] = Field(
        description="Orders in the queue per type (of the types asked for), with the channel, node and age filters"
    )
    next: str | None = Field(description="Pass as `cursor` for the next page; null on the last one")


class ActionIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["release_hold", "retry", "reroute", "cancel"]
    reason: str = Field(min_length=1, max_length=500, description="Why, for the order's history")
    node_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="reroute: the node to send what has not left to (else the routing rules choose)",
    )
    override: bool = Field(
        default=False,
        description="release_hold of a payment hold: the person vouches for the payment instead of "
        "having it checked with Stripe again",
    )


class RetryIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500, description="Why, for the order's history")

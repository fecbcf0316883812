"""API models of order search: a page of order summaries, and the ISO 8601 time its filters take."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AwareDatetime, BeforeValidator, Field

from shared.schemas.base import ApiModel
from shared.usecases.search_orders import node_ids

if TYPE_CHECKING:
    from shared.domain.order import Order


def _iso_text(value: Any) -> Any:
    # pydantic would also take a number as seconds since 1970; the contract says ISO 8601 text
    if isinstance(value, str) and not re.match(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", value):
        raise ValueError("must be an ISO 8601 date-time with a timezone, such as 2026-12-01T00:00:00Z")
    return value


IsoTime = Annotated[AwareDatetime, BeforeValidator(_iso_text)]


class OrderSummary(ApiModel):
    """An order in a list: enough to pick it out; `GET /v1/orders/{order_id}` has the rest."""

    order_id: str
    channel: str
    external_id: str
    status: str
    created_at: datetime
    currency: str
    grand_total: int
    skus: list[str]
    node_ids: list[str] = Field(description="The nodes it is fulfilled from (routed, shipping or pickup)")
    open_exceptions: list[str] = Field(description="Types of its open exceptions")

    @classmethod
    def of(cls, order: Order) -> OrderSummary:
        return cls(
            order_id=order.order_id,
            channel=order.channel,
            external_id=order.external_id,
            status=order.status.value,
            created_at=order.created_at,
            currency=order.currency,
            grand_total=order.totals.grand_total,
            skus=list(dict.fromkeys(line.sku for line in order.lines)),
            node_ids=node_ids(order),
            open_exceptions=[e.type.value for e in order.exceptions if e.open],
        )


class OrderPage(ApiModel):
    orders: list[OrderSummary]
    next: str | None = Field(
        description="Pass as `cursor` for the next page (with the same filters); null on the last page. "
        "A page may hold fewer than `limit` orders while `next` is set."
    )

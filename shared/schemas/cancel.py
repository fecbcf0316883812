"""The body of POST /v1/orders/{order_id}/cancel."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CancelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500, description="Why, for the order's history")

"""The bodies of POST /v1/orders/{order_id}/cancel and /returns."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from shared.schemas.base import ApiModel


class CancelRequest(ApiModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500, description="Why, for the order's history")


class ReturnLineIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    line_id: str = Field(pattern=r"^L[0-9]{1,3}$", description="The order line, as numbered on the order (L1, L2, ...)")
    quantity: int = Field(ge=1, le=10_000)


class ReturnRequest(ApiModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[ReturnLineIn] = Field(min_length=1, max_length=50)
    reason: str = Field(min_length=1, max_length=500)

    def units(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for line in self.lines:
            out[line.line_id] = out.get(line.line_id, 0) + line.quantity
        return out

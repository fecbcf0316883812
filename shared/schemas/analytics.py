"""API models of the analytics routes."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from shared.schemas.base import ApiModel


class ColumnView(ApiModel):
    name: str
    type: str = Field(description="date (YYYY-MM-DD), string, integer or number")


class ParameterView(ApiModel):
    name: str
    type: str
    required: bool
    description: str


class ReportInfo(ApiModel):
    name: str
    title: str
    description: str
    columns: list[ColumnView]
    parameters: list[ParameterView]


class ReportList(ApiModel):
    reports: list[ReportInfo]


class ReportAnswer(ApiModel):
    model_config = ConfigDict(populate_by_name=True)

    report: str
    title: str
    from_: str = Field(alias="from")
    to: str
    channel: str | None
    node_id: str | None
    columns: list[ColumnView]
    rows: list[dict[str, Any]]

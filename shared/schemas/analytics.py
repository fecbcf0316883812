"""API models of the analytics routes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ColumnView(BaseModel):
    name: str
    type: str = Field(description="date (YYYY-MM-DD), string, integer or number")


class ParameterView(BaseModel):
    name: str
    type: str
    required: bool
    description: str


class ReportInfo(BaseModel):
    name: str
    title: str
    description: str
    columns: list[ColumnView]
    parameters: list[ParameterView]


class ReportList(BaseModel):
    reports: list[ReportInfo]


class ReportAnswer(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    report: str
    title: str
    from_: str = Field(alias="from")
    to: str
    channel: str | None
    node_id: str | None
    columns: list[ColumnView]
    rows: list[dict[str, Any]]

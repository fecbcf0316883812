"""The one error shape every endpoint answers with."""

from __future__ import annotations

from pydantic import Field

from shared.schemas.base import ApiModel


class ErrorDetail(ApiModel):
    field: str = Field(description="Where the problem is, e.g. lines[0].quantity")
    issue: str


class ErrorInfo(ApiModel):
    code: str = Field(description="Stable machine-readable code, e.g. validation_failed")
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorBody(ApiModel):
    error: ErrorInfo


def error_body(code: str, message: str, details: list[ErrorDetail] | None = None) -> dict[str, object]:
    return ErrorBody(error=ErrorInfo(code=code, message=message, details=details or [])).model_dump()

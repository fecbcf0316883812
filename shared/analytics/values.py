"""Report values as JSON: dates as ISO strings, decimals as numbers, by the column's declared type."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any


def json_value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "date":
        return value.date().isoformat() if isinstance(value, datetime) else str(value)[:10]
    if kind == "integer":
        return int(value)
    if kind == "number":
        return round(float(value), 6)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return str(value)

"""Construct ids and physical names derived from topology names."""

from __future__ import annotations


def pascal(name: str) -> str:
    """`order_confirmation` -> `OrderConfirmation`, for construct ids (and so logical ids)."""
    return "".join(part[:1].upper() + part[1:] for part in name.replace("-", "_").split("_"))

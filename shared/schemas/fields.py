"""Field types several API models share (capture, inventory): their own small module, so a model
naming a SKU does not load the capture schema."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

# Not blank: at least one visible character. Kept as sent (no stripping), so the schema says it all.
Text = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"\S")]
Sku = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$")]


def integral(value: object) -> object:
    """JSON Schema counts 2.0 as an integer; Python would not. 2.5 still fails."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value

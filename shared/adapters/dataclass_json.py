"""JSON documents of domain dataclasses, derived from their fields and type hints.

A stored shape that follows the domain type: adding a field to a dataclass adds it to the
document, and an older document without the field reads back with the field's default.
Enums are stored by value, datetimes as ISO 8601, tuples as lists.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Hashable
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any, TypeVar, cast

T = TypeVar("T")


def encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    return value


@cache
def _hints(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def decode(kind: Any, value: Any) -> Any:
    """`value` (parsed JSON) as an instance of `kind` (a type hint)."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        return decode(next(a for a in args if a is not type(None)), value)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(decode(args[0], v) for v in value)
        return tuple(decode(a, v) for a, v in zip(args, value, strict=True))
    if origin is list:
        return [decode(args[0], v) for v in value]
    if origin is dict:
        return {decode(args[0], k): decode(args[1], v) for k, v in value.items()}
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return from_json(kind, value)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return kind(value)
    if kind is datetime:
        return datetime.fromisoformat(value)
    return value


def from_json(cls: type[T], doc: dict[str, Any], **given: Any) -> T:
    """An instance of the dataclass `cls` from its document; fields missing there take their defaults."""
    hints = _hints(cast(Hashable, cls))
    fields = {
        f.name: decode(hints[f.name], doc[f.name])
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.init and f.name in doc and f.name not in given
    }
    return cls(**fields, **given)

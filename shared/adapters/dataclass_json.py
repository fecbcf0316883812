"""JSON documents of domain dataclasses, derived from their fields and type hints.

A stored shape that follows the domain type: adding a field to a dataclass adds it to the
document, and an older document without the field reads back with the field's default.
Enums are stored by value, datetimes as ISO 8601, tuples as lists.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Hashable
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any, TypeVar, cast

T = TypeVar("T")


@cache
def _field_names(cls: Any) -> tuple[str, ...] | None:
    """The dataclass's field names, or None for any other type (worked out once per type)."""
    return tuple(f.name for f in dataclasses.fields(cls)) if dataclasses.is_dataclass(cls) else None


def encode(value: Any) -> Any:
    if (isinstance(value, str | int | float | bool) and not isinstance(value, Enum)) or value is None:
        return value
    names = _field_names(cast(Hashable, type(value)))
    if names is not None:
        return {name: encode(getattr(value, name)) for name in names}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    return value


def _identity(value: Any) -> Any:
    return value


@cache
def _decoder(kind: Any) -> Callable[[Any], Any]:
    """A function reading JSON as `kind`, worked out once per type hint (reads are on every request)."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        inner = _decoder(next(a for a in args if a is not type(None)))
        return lambda v: None if v is None else inner(v)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item = _decoder(args[0])
            return lambda v: tuple(item(x) for x in v)
        items = tuple(_decoder(a) for a in args)
        return lambda v: tuple(f(x) for f, x in zip(items, v, strict=True))
    if origin is list:
        item = _decoder(args[0])
        return lambda v: [item(x) for x in v]
    if origin is dict:
        k, d = _decoder(args[0]), _decoder(args[1])
        return lambda v: {k(a): d(b) for a, b in v.items()}
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        fields = tuple((f.name, _decoder(hints[f.name])) for f in dataclasses.fields(kind) if f.init)
        cls = kind

        def read(doc: Any, **given: Any) -> Any:
            values = {name: f(doc[name]) for name, f in fields if name in doc and name not in given}
            return cls(**values, **given)

        return read
    if isinstance(kind, type) and issubclass(kind, Enum):
        return kind
    if kind is datetime:
        return datetime.fromisoformat
    return _identity


def decode(kind: Any, value: Any) -> Any:
    """`value` (parsed JSON) as an instance of `kind` (a type hint)."""
    return _decoder(kind)(value)


def from_json(cls: type[T], doc: dict[str, Any], **given: Any) -> T:
    """An instance of the dataclass `cls` from its document; fields missing there take their defaults."""
    made: T = _decoder(cast(Hashable, cls))(doc, **given)
    return made

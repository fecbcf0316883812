"""`@record`: a frozen dataclass whose methods are shared by every record instead of generated for
each class.

`@dataclass(frozen=True)` writes the class's __init__, __repr__, __eq__, __hash__, __setattr__ and
__delattr__ as source and compiles them when the class is defined: ~0.5 ms of CPU per class, and a
function's init defines dozens (the topology's, the domain's), a tenth and more of a cold start. A
record is still a dataclass (`dataclasses.fields`, `replace`, `asdict`, `is_dataclass`, match
patterns and `vars` are unchanged: stdlib's `dataclass` collects its fields, generating nothing), and
its methods behave as the generated ones do: fields set in order, defaults and default factories,
`__post_init__`, `compare`/`hash`/`repr` of each field, no assignment after init.

Not for: mutable dataclasses, `order=True`, `InitVar`, `kw_only`, slots, or subclassing a frozen
dataclass (stdlib refuses a non-frozen dataclass child, which is what a record is to it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")

_PLAN = "__record_plan__"


class _Plan:
    """What the shared methods need of one record class, worked out once when it is defined."""

    __slots__ = ("compared", "defaults", "factories", "hashed", "init", "late", "name", "post_init", "repr")

    def __init__(self, cls: type, fields: tuple[dataclasses.Field[Any], ...]) -> None:
        self.name = cls.__qualname__
        self.init = tuple(f.name for f in fields if f.init)
        self.defaults = {f.name: f.default for f in fields if f.default is not dataclasses.MISSING}
        self.factories: dict[str, Callable[[], Any]] = {
            f.name: f.default_factory for f in fields if f.default_factory is not dataclasses.MISSING
        }
        # init=False fields: a default factory fills them in; a plain default stays on the class
        self.late = tuple((name, make) for name, make in self.factories.items() if name not in self.init)
        self.post_init = hasattr(cls, "__post_init__")
        self.repr = tuple(f.name for f in fields if f.repr)
        self.compared = _getter(tuple(f.name for f in fields if f.compare))
        self.hashed = _getter(tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash)))


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The named attributes of a record as a tuple (attrgetter: in C, as fast as generated code)."""
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return attrgetter(*names) if names else lambda _: ()


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    plan: _Plan = getattr(type(self), _PLAN)
    names = plan.init
    if len(args) > len(names):
        raise TypeError(
            f"{plan.name}.__init__() takes {len(names) + 1} positional arguments but {len(args) + 1} were given"
        )
    given = dict(zip(names, args, strict=False))
    for key, value in kwargs.items():
        if key not in names:
            raise TypeError(f"{plan.name}.__init__() got an unexpected keyword argument {key!r}")
        if key in given:
            raise TypeError(f"{plan.name}.__init__() got multiple values for argument {key!r}")
        given[key] = value
    own = self.__dict__
    for key in names:  # in field order, as a generated __init__ assigns them (vars() keeps it)
        if key in given:
            own[key] = given[key]
        elif key in plan.defaults:
            own[key] = plan.defaults[key]
        elif key in plan.factories:
            own[key] = plan.factories[key]()
        else:
            raise TypeError(f"{plan.name}.__init__() missing required argument: {key!r}")
    for key, make in plan.late:
        own[key] = make()
    if plan.post_init:
        self.__post_init__()


def _eq(self: Any, other: object) -> object:
    if other.__class__ is not self.__class__:
        return NotImplemented
    values = getattr(type(self), _PLAN).compared
    same: bool = values(self) == values(other)
    return same


def _hash(self: Any) -> int:
    return hash(getattr(type(self), _PLAN).hashed(self))


def _repr(self: Any) -> str:
    plan: _Plan = getattr(type(self), _PLAN)
    return f"{plan.name}({', '.join(f'{key}={getattr(self, key)!r}' for key in plan.repr)})"


def _setattr(_self: Any, name: str, _value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _delattr(_self: Any, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")


_METHODS: dict[str, Callable[..., Any]] = {
    "__init__": _init,
    "__repr__": _repr,
    "__eq__": _eq,
    "__hash__": _hash,
    "__setattr__": _setattr,
    "__delattr__": _delattr,
}


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: type[T]) -> type[T]:
    own = cls.__dict__
    if own.get("__doc__") is None:
        # what dataclass would write, without its inspect.signature of the class (~0.1 ms)
        cls.__doc__ = f"{cls.__name__}({', '.join(own.get('__annotations__', {}))})"
    # collects the fields (and __match_args__); with nothing to generate it compiles nothing
    cls = dataclasses.dataclass(init=False, repr=False, eq=False)(cls)
    setattr(cls, _PLAN, _Plan(cls, dataclasses.fields(cls)))  # type: ignore[arg-type]
    for name, method in _METHODS.items():
        if name not in own or (name == "__hash__" and own[name] is None):  # a class's own method stays
            setattr(cls, name, method)
    return cls

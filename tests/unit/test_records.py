"""A record behaves as the frozen dataclass it replaces (shared/records.py): the same class declared
both ways answers alike."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from typing import Any

import pytest

from shared.records import record


def _declare(decorator: Any) -> type:
    class Parcel:
        sku: str
        quantity: int = 1
        tags: tuple[str, ...] = ()
        notes: list[str] = field(default_factory=list, hash=False)
        seen_by: str | None = field(default=None, compare=False, repr=False)

        def __post_init__(self) -> None:
            if self.quantity < 1:
                raise ValueError("quantity must be at least 1")

    return decorator(Parcel)  # type: ignore[no-any-return]


RECORD, DATACLASS = _declare(record), _declare(dataclass(frozen=True))


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [(("A",), {}), (("A", 2), {"notes": ["x"]}), ((), {"seen_by": "ops", "sku": "B", "tags": ("t",)})],
)
def test_a_record_is_built_compared_shown_and_copied_as_the_dataclass_is(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    ours, theirs = RECORD(*args, **kwargs), DATACLASS(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert vars(ours) == vars(theirs)
    assert list(vars(ours)) == list(vars(theirs))  # field order, whatever order the arguments came in
    assert dataclasses.asdict(ours) == dataclasses.asdict(theirs)
    assert hash(ours) == hash(theirs)
    assert ours.__match_args__ == theirs.__match_args__
    assert ours == RECORD(*args, **{**kwargs, "seen_by": "someone else"})  # compare=False
    assert ours != RECORD("other")
    assert ours != theirs  # another class is never equal
    assert repr(dataclasses.replace(ours, quantity=5)) == repr(dataclasses.replace(theirs, quantity=5))
    assert copy.deepcopy(ours) == ours


def test_a_record_refuses_what_the_dataclass_refuses() -> None:
    parcel = RECORD("A")
    with pytest.raises(dataclasses.FrozenInstanceError):
        parcel.sku = "B"
    with pytest.raises(dataclasses.FrozenInstanceError):
        del parcel.sku
    with pytest.raises(ValueError, match="at least 1"):
        RECORD("A", 0)  # __post_init__ runs
    refused: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        ((), {}),
        (("A", 1, (), [], None, "extra"), {}),
        (("A",), {"sku": "B"}),
        (("A",), {"x": 1}),
    ]
    for args, kwargs in refused:
        with pytest.raises(TypeError):
            RECORD(*args, **kwargs)
        with pytest.raises(TypeError):
            DATACLASS(*args, **kwargs)


def test_each_record_gets_its_own_default_from_a_factory() -> None:
    first, second = RECORD("A"), RECORD("A")
    first.notes.append("x")
    assert second.notes == []
    assert dataclasses.is_dataclass(first)
    assert [f.name for f in dataclasses.fields(first)] == list(vars(second))

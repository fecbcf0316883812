"""The API view of a refund ledger entry, apart from the finance routes' models: the operations
routes answer a retried refund with it and need neither the reconciliation models nor their use case."""

from __future__ import annotations

import dataclasses
import typing
from typing import TYPE_CHECKING, Any, Self

from pydantic import create_model

from shared.domain.refund_ledger import LedgerEntry
from shared.schemas.base import ApiModel


class DataclassView(ApiModel):
    """An API model whose fields are a domain dataclass's (see `view_of`)."""

    @classmethod
    def of(cls, value: Any) -> Self:
        return cls.model_validate(value, from_attributes=True)


def view_of(row: type[Any], name: str, doc: str | None = None) -> type[DataclassView]:
    """An API model with exactly the dataclass's fields (all required), named for the OpenAPI document."""
    hints = typing.get_type_hints(row)
    definitions: dict[str, Any] = {f.name: (hints[f.name], ...) for f in dataclasses.fields(row)}
    model: type[DataclassView] = create_model(name, __base__=DataclassView, __doc__=doc, **definitions)
    return model


# A ledger entry is declared once, in the domain (shared.domain.refund_ledger.LedgerEntry); its view follows it.
if TYPE_CHECKING:
    LedgerEntryView = DataclassView
else:
    LedgerEntryView = view_of(LedgerEntry, "LedgerEntryView", "A ledger entry. Money in minor units of `currency`.")

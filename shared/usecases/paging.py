"""Opaque cursors of the listings that page (the refund ledger, reorder suggestions, nodes, a
reconciliation's rows): where the last page ended, and which listing and filters it is good for.

A cursor is base64url JSON {"l": listing, "f": filters, "p": position, ...}. It is not a secret: a
caller could write one, but a position only ever resumes a Query the caller may run anyway, and a
cursor given out for another listing or other filters, or that does not decode, is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from shared.domain.errors import DomainError
from shared.ports import Page

T = TypeVar("T")

MAX_POSITION = 300


class InvalidCursor(DomainError):
    """The same answer as every listing's made-up cursor: 400 invalid_cursor."""

    code = "invalid_cursor"
    http_status = 400

    def __init__(self, why: str) -> None:
        super().__init__(f"the cursor is not one this listing gave out ({why}); start again without `cursor`")


def digest(filters: dict[str, Any]) -> str:
    """Names a listing's filters in its cursor: a cursor is only good for the filters it was given for."""
    canon = json.dumps({k: str(v) for k, v in filters.items() if v is not None}, sort_keys=True)
    return hashlib.sha256(canon.encode()).hexdigest()[:16]


def encode(listing: str, filters: str, position: str, **extra: str | None) -> str:
    raw = json.dumps({"l": listing, "f": filters, "p": position, **extra}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(
    listing: str, filters: str, cursor: str, valid: Callable[[str], bool], extra: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The cursor's fields ("p": the position, and each of `extra`), once it is known to be this
    listing's, for these filters, with a position `valid` accepts."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as err:
        raise InvalidCursor("it does not decode") from err
    if not isinstance(data, dict) or set(data) != {"l", "f", "p", *extra}:
        raise InvalidCursor("it does not have the expected fields")
    if data["l"] != listing:
        raise InvalidCursor("it was given out by another listing")
    if data["f"] != filters:
        raise InvalidCursor("it was given out for other filters")
    position = data["p"]
    if not isinstance(position, str) or not 0 < len(position) <= MAX_POSITION or not valid(position):
        raise InvalidCursor("its position is not one this listing writes")
    if not all(data[name] is None or isinstance(data[name], str) for name in extra):
        raise InvalidCursor("its fields are not what this listing writes")
    return data


def check_limit(limit: int, most: int) -> None:
    if not 1 <= limit <= most:
        raise ValueError(f"limit is 1 to {most}")


def one_page(
    listing: str,
    fetch: Callable[[int, str | None], Page[T]],
    limit: int,
    cursor: str | None,
    *,
    most: int,
    valid: Callable[[str], bool],
) -> tuple[list[T], str | None]:
    """A listing without filters, a page at a time: its items and the cursor of the next page."""
    check_limit(limit, most)
    after = decode(listing, "", cursor, valid)["p"] if cursor is not None else None
    page = fetch(limit, after)
    return page.items, encode(listing, "", page.after) if page.after is not None else None

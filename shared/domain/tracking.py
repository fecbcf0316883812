"""UPS-format tracking numbers ("1Z" + shipper + service + reference + check digit). Pure arithmetic.

The sandbox carrier prints numbers in this real format so that anything downstream that checks a
tracking number's shape (a channel, a marketplace, a scanner) accepts them.
"""

from __future__ import annotations

import re

_UPS = re.compile(r"1Z[0-9A-Z]{6}[0-9]{2}[0-9]{7}[0-9]")
_SHIPPER = re.compile(r"[0-9A-Z]{6}")
_SERVICE = re.compile(r"[0-9]{2}")
REFERENCE_LIMIT = 10_000_000  # seven digits


def _value(char: str) -> int:
    # UPS maps letters onto digits by their position: A=2, B=3, ... I=0, J=1, ... (mod 10).
    return int(char) if char.isdigit() else (ord(char) - ord("A") + 2) % 10


def ups_check_digit(body: str) -> int:
    """The check digit of the 15 characters after "1Z": odd positions once, even positions twice."""
    total = sum(_value(char) * (1 if index % 2 == 0 else 2) for index, char in enumerate(body))
    return (10 - total % 10) % 10


def ups_tracking_number(shipper: str, service_code: str, reference: int) -> str:
    """1Z + 6-character shipper number + 2-digit service code + 7-digit package reference + check digit."""
    if not _SHIPPER.fullmatch(shipper):
        raise ValueError(f"shipper number must be 6 characters A-Z/0-9, got {shipper!r}")
    if not _SERVICE.fullmatch(service_code):
        raise ValueError(f"service code must be 2 digits, got {service_code!r}")
    if not 0 <= reference < REFERENCE_LIMIT:
        raise ValueError(f"package reference must have at most 7 digits, got {reference}")
    body = f"{shipper}{service_code}{reference:07d}"
    return f"1Z{body}{ups_check_digit(body)}"


def is_valid_ups_tracking(number: str) -> bool:
    if not _UPS.fullmatch(number):
        return False
    return ups_check_digit(number[2:17]) == int(number[17])


def format_ups_tracking(number: str) -> str:
    """The grouping UPS prints under the barcode: 1Z 999 AA1 01 2345 6784."""
    n = number
    return f"{n[:2]} {n[2:5]} {n[5:8]} {n[8:10]} {n[10:14]} {n[14:]}"

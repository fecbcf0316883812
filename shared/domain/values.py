"""Values the domain is made of: money in minor units (with each currency's exponent), postal
addresses and points on the globe. Immutable, no I/O."""

from __future__ import annotations

from dataclasses import dataclass

# Minor units per currency where it is not 2 (ISO 4217), for formatting amounts in emails.
ZERO_DECIMAL = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "UYI",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)
THREE_DECIMAL = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})


def minor_digits(currency: str) -> int:
    """How many digits of an amount are below the unit (ISO 4217): 2 unless the currency says otherwise."""
    return 0 if currency in ZERO_DECIMAL else 3 if currency in THREE_DECIMAL else 2


def format_money(amount: int, currency: str) -> str:
    """An amount in minor units as a person reads it: `4,300.00 USD`, `1,500 JPY`."""
    digits = minor_digits(currency)
    return f"{amount / 10**digits:,.{digits}f} {currency}"


@dataclass(frozen=True)
class GeoPoint:
    lat: float
    lon: float


@dataclass(frozen=True)
class Address:
    name: str
    line1: str
    city: str
    region: str
    postal_code: str
    country: str
    line2: str | None = None
    lat: float | None = None
    lon: float | None = None

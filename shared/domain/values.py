"""Values the domain is made of: money in minor units, postal addresses and points on the globe.
Immutable, no I/O.

Amounts are counted as Stripe counts them. Waybill's amounts are compared 1:1 with Stripe's, so its
minor units are Stripe's, which are not always ISO 4217's (https://docs.stripe.com/currencies):

- zero-decimal at Stripe: 100 JPY is sent as 100 (MGA too, although ISO gives it two decimals);
- three-decimal: amounts are in thousandths, and Stripe wants the last digit 0 (10 = 0.010 KWD);
- ISK: ISO says zero decimals, Stripe keeps two in its API and accepts only whole krónur, so an
  ISK amount is in hundredths and a multiple of 100;
- HUF and TWD: two decimals for charges (only payouts are whole units), so nothing special here.
"""

from __future__ import annotations

from shared.records import record

STRIPE_ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
STRIPE_THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
# Stripe's minor units per currency when amounts must be a multiple of more than 1.
STRIPE_STEP = {"ISK": 100, **dict.fromkeys(STRIPE_THREE_DECIMAL, 10)}
# ISO 4217 currencies Stripe gives no minor-unit rule for that would match ISO's: Waybill cannot
# compare their amounts with Stripe's, so they are refused at capture.
UNSUPPORTED = frozenset({"IQD", "LYD", "UYI", "UYW", "BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "XSU", "XUA"})


def exponent(currency: str) -> int:
    """How many decimals Stripe's minor unit has for `currency` (upper-case ISO 4217)."""
    if currency in STRIPE_ZERO_DECIMAL:
        return 0
    if currency in STRIPE_THREE_DECIMAL:
        return 3
    return 2


def step(currency: str) -> int:
    """Every amount in `currency` must be a multiple of this many minor units."""
    return STRIPE_STEP.get(currency, 1)


def amount_problem(currency: str, amount: int) -> str | None:
    """Why Stripe would refuse `amount` minor units of `currency`, or None."""
    if currency in UNSUPPORTED:
        return f"{currency} cannot be charged through Stripe"
    unit = step(currency)
    if amount % unit:
        return (
            f"{currency} amounts are in Stripe's minor units (1/{10 ** exponent(currency)}) and must be a multiple "
            f"of {unit}; {amount} is not"
        )
    return None


def format_money(amount: int, currency: str) -> str:
    """1234 USD -> "12.34 USD"; 1234 JPY -> "1,234 JPY"; 50000 ISK -> "500.00 ISK"."""
    digits = exponent(currency)
    return f"{amount / 10**digits:,.{digits}f} {currency}"


@record
class GeoPoint:
    lat: float
    lon: float


@record
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


@record
class PostalAddress:
    """Where a node is: what a pickup customer reads and a label prints (every part optional)."""

    line1: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    line2: str | None = None

    def lines(self) -> list[str]:
        town = " ".join(p for p in (self.city, self.region, self.postal_code) if p)
        return [p for p in (self.line1, self.line2, town, self.country) if p]

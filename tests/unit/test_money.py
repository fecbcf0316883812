"""Amounts follow Stripe's minor units (issue 11, case 7): exponents and special cases."""

import pytest
from pydantic import ValidationError

from shared.domain.values import amount_problem, exponent, format_money
from shared.schemas.capture import CaptureOrder
from tests.unit.builders import capture_body


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (500, "MGA", "500 MGA"),  # zero-decimal at Stripe, two decimals in ISO 4217
        (50000, "ISK", "500.00 ISK"),  # two decimals at Stripe, zero in ISO 4217
        (1500, "UGX", "1,500 UGX"),
        (150000, "HUF", "1,500.00 HUF"),
        (1230, "KWD", "1.230 KWD"),
    ],
)
def test_amounts_are_shown_in_stripes_minor_units(amount, currency, text):
    assert format_money(amount, currency) == text


def test_exponents_follow_stripes_list():
    assert [exponent(c) for c in ("USD", "JPY", "MGA", "ISK", "HUF", "TWD", "BHD")] == [2, 0, 0, 2, 2, 2, 3]


def _capture(currency, unit_amount, shipping=0, tax=0):
    body = capture_body(currency=currency, shipping_amount=shipping, tax_amount=tax)
    body["lines"] = [{"sku": "TSHIRT-M", "quantity": 1, "unit_amount": unit_amount}]
    return CaptureOrder.model_validate(body)


@pytest.mark.parametrize(
    ("currency", "amount", "shipping"),
    [("ISK", 12345, 0), ("ISK", 50000, 50), ("KWD", 1235, 0), ("IQD", 1000, 0)],
)
def test_amounts_stripe_cannot_charge_are_refused_at_capture(currency, amount, shipping):
    with pytest.raises(ValidationError) as info:
        _capture(currency, amount, shipping)
    assert currency in str(info.value)


@pytest.mark.parametrize(("currency", "amount"), [("ISK", 50000), ("KWD", 1230), ("MGA", 1001), ("HUF", 150050)])
def test_amounts_stripe_can_charge_are_accepted(currency, amount):
    assert _capture(currency, amount).currency == currency
    assert amount_problem(currency, amount) is None

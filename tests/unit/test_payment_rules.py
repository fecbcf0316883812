import pytest

from shared.domain.payment import PaymentIntent, hold_reason
from tests.unit.test_order_lifecycle import new_order

TOTAL = 770


def intent(status="succeeded", currency="USD", amount=TOTAL, capturable=0, received=TOTAL):
    return PaymentIntent("pi_1", status, currency, amount, capturable, received)


def test_succeeded_intent_covering_the_total_passes():
    assert hold_reason(new_order(), intent()) is None


def test_authorized_intent_passes_on_capturable_amount():
    assert hold_reason(new_order(), intent("requires_capture", capturable=TOTAL, received=0)) is None


@pytest.mark.parametrize(
    ("pi", "expected"),
    [
        (None, "does not exist"),
        (intent("requires_payment_method"), "status is requires_payment_method"),
        (intent("canceled"), "status is canceled"),
        (intent(currency="EUR"), "currency EUR does not match"),
        (intent(received=TOTAL - 1), f"covers {TOTAL - 1} but the order total is {TOTAL}"),
        (intent("requires_capture", capturable=10, received=0), "covers 10"),
    ],
)
def test_payment_problems_give_a_reason(pi, expected):
    reason = hold_reason(new_order(), pi)
    assert reason is not None
    assert expected in reason

import pytest
import stripe

from devstack.stack import free_port
from shared.adapters.stripe_payments import StripePayments, stripe_client
from shared.domain.errors import PaymentProviderUnavailable


def test_reads_a_payment_intent_from_localstripe(localstripe):
    client = stripe_client("sk_test_x", localstripe.url)
    pi = client.v1.payment_intents.create(
        params={"amount": 4321, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True}
    )
    intent = StripePayments(client).get_intent(pi.id)
    assert intent is not None
    assert (intent.status, intent.currency, intent.amount, intent.amount_received) == (
        "succeeded",
        "EUR",
        4321,
        4321,
    )


def test_authorized_only_intent_reports_requires_capture(localstripe):
    client = stripe_client("sk_test_x", localstripe.url)
    pi = client.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "capture_method": "manual",
        }
    )
    intent = StripePayments(client).get_intent(pi.id)
    assert intent is not None
    assert (intent.status, intent.amount_capturable) == ("requires_capture", 1000)


def test_missing_intent_is_none(localstripe):
    assert StripePayments(stripe_client("sk_test_x", localstripe.url)).get_intent("pi_doesnotexist") is None


def test_unreachable_stripe_is_an_outage_not_a_bad_payment():
    client = stripe.StripeClient(
        "sk_test_x", base_addresses={"api": f"http://127.0.0.1:{free_port()}"}, max_network_retries=0
    )
    with pytest.raises(PaymentProviderUnavailable):
        StripePayments(client).get_intent("pi_123")


def test_an_environment_keeps_one_client_per_key_and_its_connections(localstripe):
    client = stripe_client("sk_test_x", localstripe.url)
    client.v1.payment_intents.create(params={"amount": 100, "currency": "usd"})
    again = stripe_client("sk_test_x", localstripe.url)
    assert again is client  # the next invocation reuses it, and its open connection
    assert stripe_client("sk_test_rotated", localstripe.url) is not client  # a new key gets its own

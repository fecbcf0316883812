"""The Stripe key and webhook signing secret: read from Secrets Manager once per execution environment
in 5 minutes, not on every invocation, and a key Stripe refuses (rolled and expired while it was
cached) read afresh and the call made once more, never in a loop."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import stripe
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

from shared import topology as t
from shared.adapters import stripe_payments
from shared.bootstrap import Wiring
from tests.unit.test_composition_root import own_environment

STRIPE_READERS = [fn for fn in t.FUNCTIONS if t.SecretRead(t.STRIPE) in fn.grants]
WEBHOOK_READERS = [fn for fn in t.FUNCTIONS if t.SecretRead(t.STRIPE_WEBHOOK) in fn.grants]
INTENT = {"id": "pi_1", "object": "payment_intent", "status": "succeeded", "currency": "usd", "amount": 1000}
REFUNDS = {"object": "list", "data": [], "has_more": False, "url": "/v1/refunds"}


class SecretsManager:
    """What Powertools asks of the Secrets Manager client: GetSecretValue, counted."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.reads = 0

    def get_secret_value(self, SecretId: str, **_: Any) -> dict[str, Any]:
        self.reads += 1
        return {"Name": SecretId, "SecretString": self.values[SecretId]}


class StripeApi(stripe.HTTPClient):
    """Stripe's HTTP seam: answers only the accepted key, a 401 to any other; keeps the keys sent."""

    name = "stripe-api"

    def __init__(self) -> None:
        super().__init__()
        self.accepted = "sk_test_new"
        self.keys: list[str] = []

    def request(self, method: str, url: str, headers: Any, post_data: Any = None, **_: Any) -> Any:
        key = headers["Authorization"].removeprefix("Bearer ")
        self.keys.append(key)
        if key != self.accepted:
            error = {"type": "invalid_request_error", "message": f"Invalid API Key provided: {key[:8]}***"}
            return json.dumps({"error": error}), 401, {}
        return json.dumps(REFUNDS if "/v1/refunds" in url else INTENT), 200, {}


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> SecretsManager:
    """Powertools' default secrets provider (its cache with it) on a counting client, for this test only."""
    client = SecretsManager()
    monkeypatch.setitem(DEFAULT_PROVIDERS, "secrets", parameters.SecretsProvider(boto3_client=client))  # type: ignore[arg-type]
    return client


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> StripeApi:
    seam = StripeApi()

    def client(api_key: str, api_base: str | None = None) -> stripe.StripeClient:
        return stripe.StripeClient(api_key, http_client=seam, max_network_retries=0)

    monkeypatch.setattr(stripe_payments, "stripe_client", client)
    return seam


def wiring(fn: t.Function, secrets: SecretsManager, key: str) -> Wiring:
    env = own_environment(fn)
    secrets.values[env[t.STRIPE.env] if t.STRIPE.env in env else env[t.STRIPE_WEBHOOK.env]] = key
    return Wiring(fn.name, env)


def rotate(fn: t.Function, secrets: SecretsManager, key: str) -> None:
    secrets.values[own_environment(fn)[t.STRIPE.env]] = key


@pytest.mark.parametrize("fn", STRIPE_READERS, ids=lambda fn: fn.name)
def test_every_invocation_of_a_warm_function_after_the_first_reads_no_stripe_key(fn, secrets, api):
    w = wiring(fn, secrets, "sk_test_new")
    payments, refunds = w.payments(), w.stripe_refunds()
    for _ in range(3):  # three invocations, each building its adapters
        assert payments().get_intent("pi_1") is not None
        assert refunds().list_refunds(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC)) == []
    assert secrets.reads == 1


@pytest.mark.parametrize("fn", WEBHOOK_READERS, ids=lambda fn: fn.name)
def test_the_webhook_signing_secret_is_read_once_for_many_invocations(fn, secrets):
    read = wiring(fn, secrets, "whsec_test").webhook_secret()
    assert [read() for _ in range(3)] == ["whsec_test"] * 3
    assert secrets.reads == 1


def test_a_rolled_key_stripe_refuses_is_read_afresh_and_the_call_made_once_more(secrets, api):
    fn = t.function("check_payment")
    payments = wiring(fn, secrets, "sk_test_old").payments()
    api.accepted = "sk_test_old"
    assert payments().get_intent("pi_1") is not None
    # rolled: Secrets Manager holds the new key, Stripe refuses the old one the environment cached
    rotate(fn, secrets, "sk_test_new")
    api.accepted = "sk_test_new"
    intent = payments().get_intent("pi_1")
    assert intent is not None
    assert intent.intent_id == "pi_1"
    assert api.keys == ["sk_test_old", "sk_test_old", "sk_test_new"]
    assert secrets.reads == 2
    # the next invocation finds the new key cached
    assert payments().get_intent("pi_1") is not None
    assert (api.keys[-1], secrets.reads) == ("sk_test_new", 2)


def test_a_refund_operation_is_retried_with_a_fresh_key_too(secrets, api):
    fn = t.function("reconcile")
    gateway = wiring(fn, secrets, "sk_test_old").stripe_refunds()()
    rotate(fn, secrets, "sk_test_new")  # rolled since the environment read it
    assert gateway.list_refunds(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC)) == []
    assert api.keys == ["sk_test_old", "sk_test_new"]
    assert secrets.reads == 2


def test_a_key_stripe_refuses_twice_is_raised_after_one_fresh_read(secrets, api):
    payments = wiring(t.function("hand_over"), secrets, "sk_test_wrong").payments()
    with pytest.raises(stripe.AuthenticationError):
        payments().get_intent("pi_1")
    assert (api.keys, secrets.reads) == (["sk_test_wrong", "sk_test_wrong"], 2)

"""PaymentGateway on Stripe (localstripe in the embedded stack)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from aws_lambda_powertools.shared.lazy_import import LazyLoader

from shared.aws import secret
from shared.domain.errors import PaymentIntentMissing, PaymentProviderUnavailable
from shared.domain.payment import PaymentIntent

if TYPE_CHECKING:
    import stripe
else:
    # stripe-python imports in ~0.2 s: paid by the first Stripe call, not by every cold start.
    stripe = LazyLoader("stripe", globals(), "stripe")


@functools.lru_cache(maxsize=8)
def stripe_client(api_key: str, api_base: str | None = None) -> stripe.StripeClient:
    """One client per key in an execution environment: its HTTP sessions (one per thread) keep their
    connections to Stripe open between invocations, where a client per invocation opened a new TLS
    connection each time (and built an HTTPX client for async calls it never makes)."""
    base = {"api": api_base} if api_base else None
    # Stripe's own retries cover a blip; longer outages are retried by the state machine.
    return stripe.StripeClient(api_key, base_addresses=base, max_network_retries=2)  # type: ignore[arg-type]


# How long an execution environment keeps the Stripe key it read from Secrets Manager: a warm
# function reads the secret once in that time, not once per invocation.
KEY_MAX_AGE_S = 300


def stripe_from_secret(secret_name: str, api_base: str | None = None, *, fresh: bool = False) -> stripe.StripeClient:
    """The client with the key read from Secrets Manager, cached KEY_MAX_AGE_S per execution
    environment: a rotated key is picked up without a redeploy, and a warm function does not read
    the secret on every call. `fresh` reads the key now and caches it (Stripe refused the cached one)."""
    return stripe_client(secret(secret_name, KEY_MAX_AGE_S, fresh=fresh), api_base)


class StripeKeyed:
    """The Stripe adapters' client and, should Stripe refuse its key, how to get one with a new key.

    A key rolled in Stripe and expired there while an environment still holds it cached is refused
    (401, AuthenticationError): a `@rekeyed` operation then gets a client from `rekey` (the key read
    afresh) and runs once more. Once per adapter, and the handlers build one per invocation: a key
    that is simply wrong costs one more secret read an invocation, never a loop. Without `rekey`
    the refusal is raised, as it always is the second time."""

    def __init__(self, client: stripe.StripeClient, rekey: Callable[[], stripe.StripeClient] | None = None) -> None:
        self._stripe = client
        self._rekey = rekey

    def _renew_key(self) -> bool:
        rekey, self._rekey = self._rekey, None
        if rekey is None:
            return False
        self._stripe = rekey()
        return True


K = TypeVar("K", bound=StripeKeyed)
P = ParamSpec("P")
R = TypeVar("R")


def rekeyed(operation: Callable[Concatenate[K, P], R]) -> Callable[Concatenate[K, P], R]:
    """Runs the operation again, once, with a new key when Stripe refuses the cached one. Only for
    operations safe to repeat: a refused key means Stripe did nothing with the request."""

    @functools.wraps(operation)
    def run(self: K, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return operation(self, *args, **kwargs)
        except stripe.AuthenticationError:
            if not self._renew_key():
                raise
        return operation(self, *args, **kwargs)

    return run


class StripePayments(StripeKeyed):
    @rekeyed
    def capture(self, intent_id: str, amount: int) -> PaymentIntent:
        try:
            self._stripe.v1.payment_intents.capture(intent_id, params={"amount_to_capture": amount})
        except stripe.InvalidRequestError:
            pass  # captured (or cancelled) already: what Stripe holds now is the answer
        except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as err:
            raise PaymentProviderUnavailable(str(err)) from err
        intent = self.get_intent(intent_id)
        if intent is None:
            raise PaymentIntentMissing(intent_id, "while capturing")
        return intent

    @rekeyed
    def void(self, intent_id: str) -> None:
        try:
            self._stripe.v1.payment_intents.cancel(intent_id)
        except stripe.InvalidRequestError:
            pass  # not cancellable any more (cancelled or captured already)
        except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as err:
            raise PaymentProviderUnavailable(str(err)) from err

    @rekeyed
    def get_intent(self, intent_id: str) -> PaymentIntent | None:
        try:
            pi = self._stripe.v1.payment_intents.retrieve(intent_id)
        except stripe.InvalidRequestError as err:
            if err.http_status == 404:
                return None
            raise
        except (stripe.APIConnectionError, stripe.RateLimitError) as err:
            raise PaymentProviderUnavailable(str(err)) from err
        except stripe.APIError as err:
            raise PaymentProviderUnavailable(str(err)) from err
        fields = pi.to_dict()
        return PaymentIntent(
            intent_id=pi.id,
            status=pi.status,
            currency=pi.currency.upper(),
            amount=pi.amount,
            # localstripe omits these two; Stripe itself sets both. Without them, the amount stands.
            amount_capturable=int(fields.get("amount_capturable", pi.amount if pi.status == "requires_capture" else 0)),
            amount_received=int(fields.get("amount_received", pi.amount if pi.status == "succeeded" else 0)),
        )

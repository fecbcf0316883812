"""PaymentGateway on Stripe (localstripe in the embedded stack)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.shared.lazy_import import LazyLoader

from shared.aws import secret
from shared.domain.errors import PaymentIntentMissing, PaymentProviderUnavailable
from shared.domain.payment import PaymentIntent

if TYPE_CHECKING:
    import stripe
else:
    # stripe-python imports in ~0.2 s: paid by the first Stripe call, not by every cold start.
    stripe = LazyLoader("stripe", globals(), "stripe")


def stripe_client(api_key: str, api_base: str | None = None) -> stripe.StripeClient:
    base = {"api": api_base} if api_base else None
    # Stripe's own retries cover a blip; longer outages are retried by the state machine.
    return stripe.StripeClient(api_key, base_addresses=base, max_network_retries=2)  # type: ignore[arg-type]


def stripe_from_secret(secret_name: str, api_base: str | None = None) -> stripe.StripeClient:
    """The client with the key read from Secrets Manager, cached 5 minutes: a rotated key is picked
    up without a redeploy, and a warm function does not read the secret on every call."""
    return stripe_client(secret(secret_name), api_base)


class StripePayments:
    def __init__(self, client: stripe.StripeClient) -> None:
        self._stripe = client

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

    def void(self, intent_id: str) -> None:
        try:
            self._stripe.v1.payment_intents.cancel(intent_id)
        except stripe.InvalidRequestError:
            pass  # not cancellable any more (cancelled or captured already)
        except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as err:
            raise PaymentProviderUnavailable(str(err)) from err

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

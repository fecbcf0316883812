"""Domain errors. Each says what it means over HTTP; shared/http.py answers them in one place."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "domain_error"
    # The status an API answers it with; None: not the caller's doing, answered as an internal error.
    http_status: int | None = None

    def http_code(self) -> str:
        return self.code

    def http_message(self) -> str:
        return str(self)

    def http_details(self) -> list[tuple[str, str]]:
        """(field, issue) pairs the answer lists, when the error is about named fields."""
        return []


class IllegalTransition(DomainError):
    code = "illegal_transition"

    def __init__(self, current: Any, wanted: Any) -> None:
        super().__init__(f"an order in {current} cannot become {wanted}")
        self.current = current
        self.wanted = wanted


class OrderNotFound(DomainError):
    code = "not_found"
    http_status = 404

    def __init__(self, order_id: str) -> None:
        super().__init__(f"order {order_id} not found")


class IdempotencyConflict(DomainError):
    code = "idempotency_conflict"
    http_status = 409

    def __init__(self, external_id: str) -> None:
        super().__init__(f"external_id {external_id!r} was already used for an order with a different body")


class ConcurrentUpdate(DomainError):
    """Someone saved the order since we read it; the caller re-reads and retries."""

    code = "concurrent_update"


class PaymentProviderUnavailable(Exception):
    """Stripe could not be reached or answered 5xx/429: retry later, it says nothing about the payment."""


class PaymentIntentMissing(DomainError):
    """Stripe says the PaymentIntent does not exist: permanent, asking again changes nothing."""

    code = "payment_intent_missing"

    def __init__(self, intent_id: str, when: str) -> None:
        super().__init__(f"payment intent {intent_id} does not exist at Stripe ({when})")


class EmailProviderUnavailable(Exception):
    """SES throttled or failed transiently: retry later."""

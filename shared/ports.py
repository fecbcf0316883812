"""The outside world as the use cases see it. Adapters in shared/adapters implement these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from shared.domain.order import Order
from shared.domain.payment import PaymentIntent
from shared.domain.principal import Principal


@dataclass(frozen=True)
class CaptureRecord:
    """What (channel, external_id) was first captured as: the body's hash and the order as answered."""

    order_id: str
    body_hash: str
    snapshot: Order


class DuplicateCapture(Exception):
    """(channel, external_id) is already taken; carries what took it."""

    def __init__(self, record: CaptureRecord) -> None:
        super().__init__(record.order_id)
        self.record = record


class OrderRepository(Protocol):
    def add(self, order: Order, body_hash: str) -> None:
        """Stores a new order and its capture record atomically; DuplicateCapture if taken."""

    def get(self, order_id: str) -> Order | None: ...

    def find_capture(self, channel: str, external_id: str) -> CaptureRecord | None: ...

    def save(self, order: Order) -> None:
        """Stores changes if nobody saved since it was read (order.version), else ConcurrentUpdate."""


class Workflow(Protocol):
    def execution_arn(self, name: str) -> str: ...

    def start(self, name: str, payload: dict[str, Any]) -> None:
        """Starts the execution named `name`; starting it again is a no-op."""


class PaymentGateway(Protocol):
    def get_intent(self, intent_id: str) -> PaymentIntent | None:
        """None when Stripe says it does not exist; PaymentProviderUnavailable when Stripe is down."""


class Mailer(Protocol):
    def send(self, template: str, to: str, data: dict[str, Any]) -> str:
        """Sends a templated email; returns the provider's message id."""


class KeyStore(Protocol):
    def put(self, key_hash: str, principal: Principal) -> None: ...

    def get(self, key_hash: str) -> Principal | None: ...

    def revoke(self, principal_id: str) -> int:
        """Revokes every key of the principal; returns how many were revoked."""


class Clock(Protocol):
    def now(self) -> datetime: ...

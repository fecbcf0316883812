"""The capture body channels send (HTTP and intake queue). The OpenAPI document is generated from it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from shared.domain.values import amount_problem
from shared.schemas.base import ApiModel
from shared.schemas.fields import Sku, Text, integral
from shared.schemas.iso_codes import COUNTRIES, CURRENCIES

# A reservation writes one stock item per distinct sku at a node, plus its record and the node's
# daily capacity, in one DynamoDB transaction (100 items at most): 50 lines stays well inside it.
MAX_LINES = 50
# Amounts are integer minor units; the cap keeps totals far inside a 64-bit integer and Stripe's limits.
MAX_AMOUNT = 99_999_999_999

ExternalId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-/#]{0,127}$")]
Amount = Annotated[int, Field(ge=0, le=MAX_AMOUNT), BeforeValidator(integral)]
Quantity = Annotated[int, Field(ge=1, le=10_000), BeforeValidator(integral)]


class _Model(ApiModel):
    # strict: JSON types must match (no "1" for 1, no false for 0.0), as the OpenAPI document says
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class CustomerIn(_Model):
    email: EmailStr = Field(
        max_length=254,
        description="A deliverable address: reserved domains (.test, .local, .invalid, ...) are refused",
    )
    name: Text
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ()\-.]{5,32}$")] | None = None


class AddressIn(_Model):
    name: Text
    line1: Text
    line2: Text | None = None
    city: Text
    region: Annotated[str, StringConstraints(max_length=100)]
    postal_code: Annotated[str, StringConstraints(min_length=1, max_length=20, pattern=r"\S")]
    country: Annotated[
        str,
        Field(description="ISO 3166-1 alpha-2 country code", json_schema_extra={"enum": sorted(COUNTRIES)}),
    ]
    lat: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)] | None = None

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        if value not in COUNTRIES:
            raise ValueError("must be an ISO 3166-1 alpha-2 code in upper case, such as US or DE")
        return value


class LineIn(_Model):
    sku: Sku
    quantity: Quantity
    unit_amount: Amount
    name: Text | None = Field(default=None, description="The product as the customer knows it (emails, slips)")
    image_url: Annotated[str, StringConstraints(max_length=2048, pattern=r"^https://[^\s\"'<>]+$")] | None = Field(
        default=None, description="An https image of the product, shown in emails"
    )


class PaymentIn(_Model):
    stripe_payment_intent: Annotated[str, StringConstraints(pattern=r"^pi_[A-Za-z0-9_]{1,250}$")]


class ShipDelivery(_Model):
    method: Literal["ship"]
    service_level: Literal["standard", "express"] = "standard"

    @property
    def pickup_node(self) -> None:
        return None


class PickupDelivery(_Model):
    method: Literal["pickup"]
    pickup_node: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$")] = Field(
        description="The store the customer collects from"
    )
    service_level: Literal["standard", "express"] = "standard"


DeliveryIn = Annotated[ShipDelivery | PickupDelivery, Field(discriminator="method")]


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


class CaptureOrder(_Model):
    """An order as a sales channel hands it over. Money is in integer minor units of `currency`."""

    external_id: ExternalId = Field(description="The channel's own order id; capture is idempotent on it")
    currency: Annotated[str, Field(description="ISO 4217 code", json_schema_extra={"enum": sorted(CURRENCIES)})]
    customer: CustomerIn
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=MAX_LINES)]
    shipping_amount: Amount = 0
    tax_amount: Amount = 0
    payment: PaymentIn
    # The default is applied here but kept out of the schema: a default object on a oneOf is valid JSON
    # Schema, yet client generators refuse it (openapi-python-client then drops the whole operation).
    # A factory, not an instance: building one at import would build the deferred validators.
    delivery: DeliveryIn = Field(
        default_factory=lambda: ShipDelivery(method="ship"),
        description="How the customer gets the order; without it: ship, standard",
        json_schema_extra=_no_default,
    )

    # After delivery, so its validator sees the method (fields validate in this order).
    ship_to: AddressIn | None = Field(
        default=None,
        description="Where the parcel goes: required when delivery.method is ship (the default)",
        validate_default=True,
    )

    @field_validator("ship_to")
    @classmethod
    def _ship_to_for_ship(cls, value: AddressIn | None, info: ValidationInfo) -> AddressIn | None:
        delivery = info.data.get("delivery")
        if value is None and delivery is not None and delivery.method == "ship":
            raise PydanticCustomError("missing", "Field required: an order that ships needs a ship_to address")
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if value not in CURRENCIES:
            raise ValueError("must be an ISO 4217 code in upper case, such as USD or EUR")
        return value

    @model_validator(mode="after")
    def _stripe_minor_units(self) -> CaptureOrder:
        # Amounts are compared 1:1 with Stripe's: refuse what Stripe could never charge or refund.
        amounts = [self.shipping_amount, self.tax_amount, *(line.unit_amount for line in self.lines)]
        problem = next((p for p in (amount_problem(self.currency, a) for a in amounts) if p), None)
        if problem:
            raise ValueError(f"currency: {problem}")
        return self


class IntakeMessage(CaptureOrder):
    """A capture body on the batch intake queue names its channel."""

    channel: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$")]

    def capture(self) -> CaptureOrder:
        return CaptureOrder.model_validate(self.model_dump(exclude={"channel"}))

"""Function settings read from the environment once, at cold start, and validated."""

from __future__ import annotations

import os
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

S = TypeVar("S", bound="Settings")


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    @classmethod
    def from_env(cls: type[S]) -> S:
        return cls.model_validate(dict(os.environ))


class OrdersSettings(Settings):
    orders_table: str = Field(alias="TABLE_ORDERS")
    fulfilment_arn: str = Field(alias="STATE_MACHINE_FULFILMENT_ARN")


class KeysSettings(Settings):
    keys_table: str = Field(alias="TABLE_API_KEYS")


class PaymentSettings(Settings):
    orders_table: str = Field(alias="TABLE_ORDERS")
    stripe_secret: str = Field(alias="SECRET_STRIPE_NAME")
    # Only set in the embedded stack, where localstripe stands in for api.stripe.com.
    stripe_api_base: str | None = Field(default=None, alias="STRIPE_API_BASE")


class ConfirmationSettings(Settings):
    orders_table: str = Field(alias="TABLE_ORDERS")
    idempotency_table: str = Field(alias="TABLE_IDEMPOTENCY")
    template: str = Field(alias="EMAIL_TEMPLATE_ORDER_CONFIRMATION")
    sender: str = Field(alias="EMAIL_FROM")


class ExceptionSettings(Settings):
    orders_table: str = Field(alias="TABLE_ORDERS")
    inventory_table: str = Field(alias="TABLE_INVENTORY")


class InventorySettings(Settings):
    inventory_table: str = Field(alias="TABLE_INVENTORY")


class ReserveSettings(InventorySettings):
    orders_table: str = Field(alias="TABLE_ORDERS")


class InventoryApiSettings(InventorySettings):
    restock_queue_url: str = Field(alias="QUEUE_RESTOCK_URL")


class AllocatorSettings(ReserveSettings):
    fulfilment_arn: str = Field(alias="STATE_MACHINE_FULFILMENT_ARN")

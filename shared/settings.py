"""Function settings read from the environment once, at cold start, and validated."""

from __future__ import annotations

import os
from email.utils import formataddr
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

S = TypeVar("S", bound="Settings")


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    @classmethod
    def from_env(cls: type[S]) -> S:
        return cls.model_validate(dict(os.environ))


class MailSettings(Settings):
    """Who customer email comes from: the shop's name is in every email and in From."""

    sender: str = Field(alias="EMAIL_FROM")
    sender_name: str = Field(default="", alias="EMAIL_FROM_NAME")
    shop_name: str = Field(default="", alias="SHOP_NAME")
    idempotency_table: str = Field(alias="TABLE_IDEMPOTENCY")

    @property
    def from_address(self) -> str:
        return formataddr((self.sender_name, self.sender)) if self.sender_name else self.sender


class OrdersSettings(Settings):
    orders_table: str = Field(alias="TABLE_ORDERS")
    fulfilment_arn: str = Field(alias="STATE_MACHINE_FULFILMENT_ARN")


class OrdersApiSettings(OrdersSettings, MailSettings):
    cancelled_template: str = Field(alias="EMAIL_TEMPLATE_ORDER_CANCELLED")
    documents_bucket: str = Field(alias="BUCKET_DOCUMENTS")
    returns_arn: str = Field(alias="STATE_MACHINE_RETURNS_ARN")
    fulfilment_queue_url: str = Field(alias="QUEUE_FULFILMENT_URL")
    inventory_table: str = Field(alias="TABLE_INVENTORY")
    ledger_table: str = Field(alias="TABLE_LEDGER")
    refunds_arn: str = Field(alias="STATE_MACHINE_REFUNDS_ARN")


class KeysSettings(Settings):
    keys_table: str = Field(alias="TABLE_API_KEYS")


class PaymentSettings(Settings):
    orders_table: str = Field(alias="TABLE_ORDERS")
    stripe_secret: str = Field(alias="SECRET_STRIPE_NAME")
    # Only set in the embedded stack, where localstripe stands in for api.stripe.com.
    stripe_api_base: str | None = Field(default=None, alias="STRIPE_API_BASE")


class ConfirmationSettings(MailSettings):
    orders_table: str = Field(alias="TABLE_ORDERS")
    template: str = Field(alias="EMAIL_TEMPLATE_ORDER_CONFIRMATION")


class ExceptionSettings(Settings):
    orders_table: str = Field(alias="TABLE_ORDERS")
    inventory_table: str = Field(alias="TABLE_INVENTORY")
    fulfilment_queue_url: str = Field(alias="QUEUE_FULFILMENT_URL")


class InventorySettings(Settings):
    inventory_table: str = Field(alias="TABLE_INVENTORY")


class ReserveSettings(InventorySettings):
    orders_table: str = Field(alias="TABLE_ORDERS")


class InventoryApiSettings(InventorySettings):
    restock_queue_url: str = Field(alias="QUEUE_RESTOCK_URL")


class AllocatorSettings(ReserveSettings):
    fulfilment_arn: str = Field(alias="STATE_MACHINE_FULFILMENT_ARN")


class OrdersOnlySettings(Settings):
    orders_table: str = Field(alias="TABLE_ORDERS")


class ReleaseSettings(OrdersOnlySettings):
    heartbeat_s: int = Field(alias="FULFILMENT_HEARTBEAT_S", ge=1)
    timeout_s: int = Field(alias="FULFILMENT_TIMEOUT_S", ge=1)
    delivery_timeout_s: int = Field(alias="DELIVERY_TIMEOUT_S", ge=1)
    pickup_timeout_s: int = Field(alias="PICKUP_TIMEOUT_S", ge=1)


class RequestSettings(OrdersOnlySettings):
    fulfilment_queue_url: str = Field(alias="QUEUE_FULFILMENT_URL")
    documents_bucket: str = Field(alias="BUCKET_DOCUMENTS")


class LabelSettings(ReserveSettings):
    documents_bucket: str = Field(alias="BUCKET_DOCUMENTS")
    failure_rate: float = Field(default=0.0, alias="CARRIER_SANDBOX_FAILURE_RATE", ge=0.0, le=1.0)


class ReturnLabelSettings(LabelSettings, MailSettings):
    template: str = Field(alias="EMAIL_TEMPLATE_RETURN_OPENED")


class EventsSettings(OrdersOnlySettings, MailSettings):
    template: str = Field(alias="EMAIL_TEMPLATE_DELIVERY_EXCEPTION")


class HandOverSettings(ReserveSettings, MailSettings):
    stripe_secret: str = Field(alias="SECRET_STRIPE_NAME")
    stripe_api_base: str | None = Field(default=None, alias="STRIPE_API_BASE")
    shipped_template: str = Field(alias="EMAIL_TEMPLATE_ORDER_SHIPPED")
    pickup_template: str = Field(alias="EMAIL_TEMPLATE_ORDER_READY_FOR_PICKUP")


class DeliveredSettings(OrdersOnlySettings, MailSettings):
    template: str = Field(alias="EMAIL_TEMPLATE_ORDER_DELIVERED")


class FinanceSettings(Settings):
    ledger_table: str = Field(alias="TABLE_LEDGER")
    documents_bucket: str = Field(alias="BUCKET_DOCUMENTS")
    stripe_secret: str = Field(alias="SECRET_STRIPE_NAME")
    # Only set in the embedded stack, where localstripe stands in for api.stripe.com.
    stripe_api_base: str | None = Field(default=None, alias="STRIPE_API_BASE")


class RefundSettings(Settings):
    ledger_table: str = Field(alias="TABLE_LEDGER")
    stripe_secret: str = Field(alias="SECRET_STRIPE_NAME")
    stripe_api_base: str | None = Field(default=None, alias="STRIPE_API_BASE")


class RefundEmailSettings(OrdersOnlySettings, MailSettings):
    ledger_table: str = Field(alias="TABLE_LEDGER")
    template: str = Field(alias="EMAIL_TEMPLATE_REFUND_ISSUED")


class LedgerSettings(Settings):
    ledger_table: str = Field(alias="TABLE_LEDGER")


class WebhookSettings(LedgerSettings):
    webhook_secret: str = Field(alias="SECRET_STRIPE_WEBHOOK_NAME")


class RestockReturnSettings(ReserveSettings):
    ledger_table: str = Field(alias="TABLE_LEDGER")
    refunds_arn: str = Field(alias="STATE_MACHINE_REFUNDS_ARN")


class OpenRefundSettings(RefundSettings):
    orders_table: str = Field(alias="TABLE_ORDERS")


class SweepSettings(LedgerSettings):
    refunds_arn: str = Field(alias="STATE_MACHINE_REFUNDS_ARN")


class FactsSettings(Settings):
    facts_stream: str = Field(alias="FACTS_STREAM_NAME")


class AnalyticsSettings(Settings):
    workgroup: str = Field(alias="ANALYTICS_WORKGROUP")
    database: str = Field(alias="ANALYTICS_DATABASE")
    bucket: str = Field(alias="BUCKET_ANALYTICS")
    # athena in AWS; the embedded stack runs the same reports on DuckDB over the emulated S3
    engine: Literal["athena", "duckdb"] = Field(alias="ANALYTICS_ENGINE")

"""POST /v1/webhooks/stripe: Stripe's refund events, accepted only with a valid signature.
Registered on the webhook function's resolver and on the OpenAPI resolver."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from pydantic import BaseModel, ConfigDict, Field

from shared import http
from shared.adapters.stripe_refunds import refunds_in_event, verify_webhook
from shared.ports import Clock, OrderRepository, RefundLedger
from shared.usecases.stripe_events import settle_reported_refunds


class StripeEvent(BaseModel):
    """A Stripe event as Stripe posts it (only the fields Waybill reads are described)."""

    model_config = ConfigDict(extra="allow", title="StripeEvent")

    id: str = Field(description="evt_...")
    type: str = Field(description="refund.created, refund.updated, refund.failed or charge.refunded")
    data: dict[str, Any] = Field(description="`object`: the refund (refund.*) or the charge (charge.refunded)")


class WebhookReceived(BaseModel):
    """`received`, and how many refunds in the event were settled, unchanged, pending or unknown."""

    model_config = ConfigDict(extra="allow")

    received: bool


@dataclass(frozen=True)
class WebhookPorts:
    ledger: RefundLedger
    orders: OrderRepository  # a refund Stripe reports failed is an exception on its order
    secret: Callable[[], str]
    clock: Clock
    logger: Logger


def register(app: APIGatewayRestResolver) -> None:
    @app.post(
        "/v1/webhooks/stripe",
        summary="Stripe webhook: refund status updates",
        description="Called by Stripe, not by API keys: the `Stripe-Signature` header (HMAC of the raw body "
        "with the endpoint secret, timestamp within 5 minutes of now, either way) is checked first; a bad, "
        "stale or future signature is 400 `invalid_signature` and changes nothing; a signed event that is not "
        "shaped as Stripe's is 400 `malformed_event`. Handles refund.created, refund.updated, refund.failed "
        "and charge.refunded; other events are acknowledged and ignored.",
        responses={
            200: {"description": "Received", "content": {"application/json": {"model": WebhookReceived}}},
            **http.documented_errors(413, 415, codes={400: ("invalid_signature",)}),
        },
        tags=["finance"],
        operation_id="receive_stripe_event",
        # Documented as Stripe calls it: the raw event as the body (read raw, so the signature is checked
        # before anything is parsed), the signature header, and no bearer key.
        openapi_extensions={
            "security": [],
            "parameters": [
                {
                    "name": "Stripe-Signature",
                    "in": "header",
                    "required": True,
                    "description": "t=<unix time>,v1=<HMAC-SHA256 of '<t>.<raw body>' with the signing secret>",
                    "schema": {"type": "string"},
                }
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": StripeEvent.model_json_schema()}},
            },
        },
    )
    def post_webhook() -> Response[Any]:
        ports: WebhookPorts = app.context["ports"]
        body = app.current_event.decoded_body or ""
        signature = app.current_event.headers.get("stripe-signature") or app.current_event.headers.get(
            "Stripe-Signature", ""
        )
        event = verify_webhook(body.encode(), signature, ports.secret())
        outcome = settle_reported_refunds(
            refunds_in_event(event), ledger=ports.ledger, orders=ports.orders, clock=ports.clock
        )
        ports.logger.info("stripe webhook", event_id=event.get("id"), event_type=event.get("type"), outcome=outcome)
        return Response(200, content_types.APPLICATION_JSON, json.dumps({"received": True, **outcome}))

"""POST /v1/webhooks/stripe: Stripe's refund events, accepted only with a valid signature.
Registered on the webhook function's resolver and on the OpenAPI resolver."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types

from shared import http
from shared.adapters.stripe_refunds import refunds_in_event, verify_webhook
from shared.ports import Clock, RefundLedger
from shared.usecases.stripe_events import settle_reported_refunds


@dataclass(frozen=True)
class WebhookPorts:
    ledger: RefundLedger
    secret: Callable[[], str]
    clock: Clock
    logger: Logger


def register(app: APIGatewayRestResolver) -> None:
    @app.post(
        "/v1/webhooks/stripe",
        summary="Stripe webhook: refund status updates",
        description="Called by Stripe, not by API keys: the `Stripe-Signature` header (HMAC of the raw body "
        "with the endpoint secret, timestamp at most 5 minutes old) is checked first; a bad or stale "
        "signature is 400 and changes nothing. Handles refund.created, refund.updated, refund.failed "
        "and charge.refunded; other events are acknowledged and ignored.",
        responses={200: {"description": "Received"}, **http.documented_errors(400, 413)},
        tags=["finance"],
        security=[],
    )
    def post_webhook() -> Response[Any]:
        ports: WebhookPorts = app.context["ports"]
        body = app.current_event.decoded_body or ""
        signature = app.current_event.headers.get("stripe-signature") or app.current_event.headers.get(
            "Stripe-Signature", ""
        )
        event = verify_webhook(body.encode(), signature, ports.secret())
        outcome = settle_reported_refunds(refunds_in_event(event), ledger=ports.ledger, clock=ports.clock)
        ports.logger.info("stripe webhook", event_id=event.get("id"), event_type=event.get("type"), outcome=outcome)
        return Response(200, content_types.APPLICATION_JSON, json.dumps({"received": True, **outcome}))

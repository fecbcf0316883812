"""Reconciling a period asks Stripe for that period only (the `created` filter); the embedded stack,
whose localstripe rejects the filter, lists without it and stops at the first older refund."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import stripe

from shared.adapters.stripe_refunds import StripeRefunds

GTE, LT = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC)


class Recording(stripe.HTTPClient):
    """Stripe's HTTP seam: answers an empty page and keeps the query strings asked."""

    name = "recording"

    def __init__(self) -> None:
        super().__init__()
        self.queries: list[dict[str, list[str]]] = []

    def request(self, method: str, url: str, headers: Any, post_data: Any = None, **_: Any) -> Any:
        self.queries.append(parse_qs(urlsplit(url).query))
        body = {"object": "list", "data": [], "has_more": False, "url": "/v1/refunds"}
        return json.dumps(body), 200, {}


def listed(created_filter: bool) -> dict[str, list[str]]:
    http = Recording()
    client = stripe.StripeClient("sk_test_x", http_client=http)
    assert StripeRefunds(client, created_filter=created_filter).list_refunds(GTE, LT) == []
    [query] = http.queries
    return query


def test_the_period_is_asked_of_stripe() -> None:
    query = listed(created_filter=True)
    assert query["created[gte]"] == [str(int(GTE.timestamp()))]
    assert query["created[lt]"] == [str(int(LT.timestamp()))]


def test_without_the_filter_nothing_about_created_is_sent() -> None:
    assert not any(k.startswith("created") for k in listed(created_filter=False))

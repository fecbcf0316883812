"""boto3 clients with botocore's standard retry mode (backoff with jitter on throttling), built on first use.

`client()` returns at once: boto3 is imported, and the client built, by the first call made through
it. Handlers build their adapters at import time (Lambda's init); deferring the SDK keeps that init
short (boto3 and one client per service are most of what a handler module costs) and a function
only pays for the services a request actually touches. Each proxy keeps its client, so a warm
environment builds each one once.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any


@cache
def _config() -> Any:
    from botocore.config import Config

    return Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=5, read_timeout=20)


class LazyClient:
    """Stands in for `boto3.client(service)` until the first attribute is read, then delegates to it."""

    def __init__(self, service: str) -> None:
        self._service = service
        self._client: Any = None
        self._lock = threading.Lock()

    def _build(self) -> Any:
        with self._lock:
            if self._client is None:
                import boto3

                self._client = boto3.client(self._service, config=_config())  # type: ignore[call-overload]
            return self._client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client if self._client is not None else self._build(), name)

    def __repr__(self) -> str:
        return f"LazyClient({self._service!r}, built={self._client is not None})"


def client(service: str) -> Any:
    return LazyClient(service)


def secret(name: str, max_age_s: int = 300) -> str:
    """A Secrets Manager secret, cached `max_age_s` so a rotated value is picked up without a redeploy.

    Powertools' parameters utility imports boto3 when it loads, so it is loaded on the first read.
    """
    from aws_lambda_powertools.utilities import parameters

    return str(parameters.get_secret(name, max_age=max_age_s))

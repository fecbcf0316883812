"""AWS clients with botocore's standard retry mode (backoff with jitter on throttling), built on first use.

`client()` returns at once: botocore is imported, and the client built, by the first call made
through it. Handlers build their adapters at import time (Lambda's init); deferring the SDK keeps
that init short (the SDK and one client per service are most of what a handler module costs) and a
function only pays for the services a request actually touches. Each proxy keeps its client, so a
warm environment builds each one once.

The clients come from one botocore session per process, not from boto3: boto3's client is that
same botocore client, and importing boto3 also imports s3transfer (~0.1 s of a first request).
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any


@cache
def _config() -> Any:
    from botocore.config import Config

    return Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=5, read_timeout=20)


# A botocore session is not safe to build clients from on several threads at once.
_SESSION_LOCK = threading.Lock()


@cache
def _session() -> Any:
    from botocore.session import get_session

    return get_session()


def session() -> Any:
    """The process's botocore session every client comes from (the local stack's faults hook it)."""
    return _session()


class LazyClient:
    """Stands in for the service's client until the first attribute is read, then delegates to it."""

    def __init__(self, service: str) -> None:
        self._service = service
        self._client: Any = None
        self._lock = threading.Lock()

    def _build(self) -> Any:
        with self._lock:
            if self._client is None:
                with _SESSION_LOCK:
                    self._client = _session().create_client(self._service, config=_config())
            return self._client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client if self._client is not None else self._build(), name)

    def __repr__(self) -> str:
        return f"LazyClient({self._service!r}, built={self._client is not None})"


def client(service: str) -> Any:
    return LazyClient(service)


def secret(name: str, max_age_s: int = 300, *, fresh: bool = False) -> str:
    """A Secrets Manager secret, cached `max_age_s` in this execution environment (Powertools keeps
    it per process), so a warm function reads it once in that time and a rotated value is picked up
    without a redeploy. `fresh` reads it now and caches what it read (a key the provider refuses).

    Powertools' parameters utility imports boto3 when it loads, so it is loaded on the first read.
    """
    from aws_lambda_powertools.utilities import parameters

    return str(parameters.get_secret(name, max_age=max_age_s, force_fetch=fresh))

"""Faults for the conservation soak: while a function runs, AWS and Stripe fail now and then.

`WAYBILL_DEV_FAULT_RATE` (0 to 1, default 0: off) is the share of a function's calls to DynamoDB and
SES answered with the error AWS sends when it throttles or has an internal error, before the
request leaves (botocore's `before-send` event, so botocore's own retry policy handles it exactly as
in AWS). Only calls made inside a function invocation are faulted: the emulator's own pollers,
streams and outbox stand for AWS itself. Stripe goes down in windows instead (a proxy in front of
localstripe answers 503 while down: `WAYBILL_DEV_STRIPE_DOWN_S` in every
`WAYBILL_DEV_STRIPE_PERIOD_S`); the soak also sets the sandbox carrier's own failure rate.
`WAYBILL_DEV_FAULT_SEED` seeds which calls fail (concurrency still varies their order).
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

log = logging.getLogger("devstack.faults")

_in_function = threading.local()


@contextmanager
def function_running() -> Iterator[None]:
    """Marks the calling thread as running a function (the runtime wraps every invocation)."""
    _in_function.active = True
    try:
        yield
    finally:
        _in_function.active = False


@dataclass(frozen=True)
class FaultPlan:
    rate: float = 0.0
    seed: int = 0
    # Stripe is down for `stripe_down_s` in every `stripe_period_s` (from the stack's start).
    stripe_down_s: float = 4.0
    stripe_period_s: float = 40.0

    @property
    def on(self) -> bool:
        return self.rate > 0

    @classmethod
    def from_env(cls) -> FaultPlan:
        return cls(
            rate=float(os.environ.get("WAYBILL_DEV_FAULT_RATE", "0")),
            seed=int(os.environ.get("WAYBILL_DEV_FAULT_SEED", "0")),
            stripe_down_s=float(os.environ.get("WAYBILL_DEV_STRIPE_DOWN_S", "4")),
            stripe_period_s=float(os.environ.get("WAYBILL_DEV_STRIPE_PERIOD_S", "40")),
        )


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def _dynamodb_error(rng: random.Random) -> tuple[int, bytes]:
    kind, status = rng.choice((("ThrottlingException", 400), ("InternalServerError", 500)))
    body = {"__type": f"com.amazonaws.dynamodb.v20120810#{kind}", "message": "injected by the fault plan"}
    return status, json.dumps(body).encode()


def _ses_error(rng: random.Random) -> tuple[int, bytes]:
    code, status = rng.choice((("Throttling", 400), ("ServiceUnavailable", 503)))
    body = (
        '<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>injected by the fault plan</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )
    return status, body.encode()


class AwsFaults:
    """Counts what it injected, per service, so a soak can print it."""

    def __init__(self, plan: FaultPlan) -> None:
        self.plan = plan
        self.injected: dict[str, int] = {}
        self._rng = random.Random(plan.seed)  # noqa: S311 - picks faults, not secrets
        self._lock = threading.Lock()

    def install(self) -> None:
        """Registers on the sessions the functions' clients come from: every client inherits it."""
        import boto3
        from botocore.awsrequest import AWSResponse

        from shared import aws

        makers = {"dynamodb": _dynamodb_error, "ses": _ses_error}

        def before_send(request: Any, event_name: str, **_: Any) -> Any:
            if not getattr(_in_function, "active", False):
                return None
            service = event_name.split(".")[1].lower()
            with self._lock:
                if self._rng.random() >= self.plan.rate:
                    return None
                status, body = makers[service](self._rng)
                self.injected[service] = self.injected.get(service, 0) + 1
            headers = {"x-amzn-RequestId": str(uuid.uuid4()), "Content-Length": str(len(body))}
            return AWSResponse(request.url, status, headers, _Body(body))  # type: ignore[arg-type]

        # the functions' clients come from shared.aws's botocore session; anything built with boto3
        # from its default session
        for events in (aws.session().get_component("event_emitter"), boto3._get_default_session().events):
            for service in makers:
                events.register(f"before-send.{service}", before_send)  # botocore's hyphenized service ids


class StripeOutage:
    """A proxy in front of localstripe that is down (503, as Stripe answers when unavailable) in windows."""

    def __init__(self, plan: FaultPlan, upstream: str, port: int) -> None:
        self.plan = plan
        self.upstream = upstream.rstrip("/")
        self.url = f"http://127.0.0.1:{port}"
        self.refused = 0
        self._started = time.monotonic()
        outage = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                return

            def _forward(self) -> None:
                if outage.down():
                    outage.refused += 1
                    body = b'{"error": {"type": "api_error", "message": "injected outage"}}'
                    self.send_response(503)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length else None
                skip = {"host", "content-length", "connection", "accept-encoding"}
                headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
                answer = requests.request(
                    self.command, outage.upstream + self.path, data=data, headers=headers, timeout=30
                )
                self.send_response(answer.status_code)
                for k, v in answer.headers.items():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_DELETE = _forward

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="stripe-outage", daemon=True)

    def down(self) -> bool:
        phase = (time.monotonic() - self._started) % self.plan.stripe_period_s
        # the first window starts a period in, so the stack's set-up never meets it
        return self.plan.stripe_period_s - self.plan.stripe_down_s <= phase

    def start(self) -> None:
        self._thread.start()
        log.info(
            "Stripe is down %.0f s in every %.0f s (%s)", self.plan.stripe_down_s, self.plan.stripe_period_s, self.url
        )

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class Faults:
    """The stack's part: AWS faults installed, the Stripe proxy started; counts written on stop."""

    def __init__(self, plan: FaultPlan, stripe_upstream: str, port: int, report: Path) -> None:
        self.aws = AwsFaults(plan)
        self.stripe = StripeOutage(plan, stripe_upstream, port)
        self._report = report

    def start(self) -> str:
        """Returns the Stripe URL the functions are given."""
        self.aws.install()
        self.stripe.start()
        return self.stripe.url

    def stop(self) -> None:
        self.stripe.stop()
        counts = {**self.aws.injected, "stripe refused (outage)": self.stripe.refused}
        self._report.write_text(json.dumps(counts, indent=2))

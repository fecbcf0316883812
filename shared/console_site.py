"""What the console (console/, a static web app) is served with, by the embedded stack's gateway and
by CloudFront alike: its config, the graphs of the state machines derived from their ASL, and the
security headers. Pure: the caller reads the files."""

from __future__ import annotations

from typing import Any

from shared.domain.values import exponent
from shared.schemas.iso_codes import CURRENCIES

CONSOLE_DIR = "console"
# What the console sends beyond the CORS-safelisted headers (the API's preflights allow these).
BROWSER_REQUEST_HEADERS = ("Authorization", "Content-Type", "Idempotency-Key")
# The parts of an ASL state the graph draws: its kind, its transitions and retries, its comment.
# Resources, parameters and paths are Waybill's wiring and stay out of the browser.
_GRAPH_KEYS = ("Type", "Comment", "Next", "End", "Default", "TimeoutSeconds", "HeartbeatSeconds")


def workflow_graph(asl: dict[str, Any]) -> dict[str, Any]:
    """The drawable shape of an ASL definition (or of a Map's or Parallel's inner block)."""
    states: dict[str, Any] = {}
    for name, state in asl["States"].items():
        shape = {k: state[k] for k in _GRAPH_KEYS if k in state}
        if "Choices" in state:
            shape["Choices"] = [{"Next": c["Next"]} for c in state["Choices"]]
        if "Catch" in state:
            shape["Catch"] = [{"ErrorEquals": c["ErrorEquals"], "Next": c["Next"]} for c in state["Catch"]]
        if "Retry" in state:
            shape["Retry"] = [
                {k: r[k] for k in ("ErrorEquals", "MaxAttempts", "IntervalSeconds", "BackoffRate") if k in r}
                for r in state["Retry"]
            ]
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor is not None:
            shape["ItemProcessor"] = workflow_graph(processor)
        if "Branches" in state:
            shape["Branches"] = [workflow_graph(b) for b in state["Branches"]]
        states[name] = shape
    return {"StartAt": asl["StartAt"], "States": states}


def console_config(api: str) -> dict[str, Any]:
    """config.json: the API's base URL ("" when the console is served beside it) and the currencies
    whose minor unit is not a hundredth, so amounts read as the rest of Waybill writes them."""
    decimals = {c: exponent(c) for c in sorted(CURRENCIES) if exponent(c) != 2}
    return {"api": api, "decimals": decimals}


def content_security_policy(api_origin: str | None = None) -> str:
    """Scripts, styles and data from the console's own origin (and the API's) only: no inline code,
    no third party, no framing."""
    connect = "'self'" + (f" {api_origin}" if api_origin else "")
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src {connect}",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        )
    )


def security_headers(api_origin: str | None = None) -> dict[str, str]:
    """The headers every console response carries (CloudFront adds HSTS, which needs TLS)."""
    return {
        "Content-Security-Policy": content_security_policy(api_origin),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
    }

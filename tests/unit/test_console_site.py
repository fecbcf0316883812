"""What the console is served with: the graphs derived from the ASL, its config, its headers, and
the local gateway's files (nothing outside console/)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, cast

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from devstack.console_files import ConsoleFiles
from shared import http
from shared import topology as t
from shared.console_site import console_config, security_headers, workflow_graph

ROOT = Path(__file__).resolve().parents[2]


def _get(path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    response = ConsoleFiles().handle(Request(EnvironBuilder(path=path, method=method).get_environ()))
    return response.status_code, dict(response.headers), response.get_data()


def test_a_graph_keeps_every_state_and_transition_and_none_of_the_wiring():
    for machine in t.STATE_MACHINES:
        asl = json.loads((ROOT / machine.definition_path).read_text())
        graph = workflow_graph(asl)
        assert graph["StartAt"] == asl["StartAt"]
        assert set(graph["States"]) == set(asl["States"])
        text = json.dumps(graph)
        for wiring in ("${", "Resource", "Parameters"):
            assert wiring not in text
        for name, state in asl["States"].items():
            shaped = graph["States"][name]
            assert shaped["Type"] == state["Type"]
            assert shaped.get("Next") == state.get("Next")
            assert [c["Next"] for c in shaped.get("Catch", [])] == [c["Next"] for c in state.get("Catch", [])]
            assert [c["Next"] for c in shaped.get("Choices", [])] == [c["Next"] for c in state.get("Choices", [])]
    fulfilment = workflow_graph(json.loads((ROOT / t.FULFILMENT.definition_path).read_text()))
    assert {"RequestFulfilment", "BuyLabel", "HandOver", "RecordException"} <= set(fulfilment["States"])


def test_the_config_names_the_api_and_the_currencies_that_are_not_hundredths():
    config = console_config(api="https://api.example")
    assert config["api"] == "https://api.example"
    assert config["decimals"]["JPY"] == 0
    assert config["decimals"]["KWD"] == 3
    assert "USD" not in config["decimals"]


def test_the_csp_allows_the_own_origin_and_the_api_only():
    csp = security_headers("https://api.example")["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self';" in csp
    assert "connect-src 'self' https://api.example;" in csp
    assert "unsafe" not in csp


def test_the_gateway_serves_the_console_with_its_headers():
    status, headers, body = _get("/console/")
    assert status == 200
    assert b"Waybill console" in body
    assert headers["Content-Security-Policy"] == security_headers()["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, headers, body = _get("/console/js/app.js")
    assert (status, headers["Content-Type"]) == (200, "text/javascript; charset=utf-8")
    status, _, body = _get("/console/statemachines/fulfilment.json")
    assert status == 200
    assert json.loads(body)["StartAt"] == "RequestFulfilment"
    status, _, body = _get("/console/statemachines/preparation.json")
    assert (status, json.loads(body)["StartAt"]) == (200, "CheckPayment")
    assert json.loads(_get("/console/config.json")[2])["api"] == ""
    assert _get("/console")[:2][0] == 308


def test_nothing_outside_the_console_folder_is_served():
    for path in ("/console/../pyproject.toml", "/console/%2e%2e/pyproject.toml", "/console/statemachines/x.json"):
        assert _get(path)[0] == 404, path
    assert _get("/console/", method="POST")[0] == 405


def test_index_preloads_every_module_and_no_script_writes_markup():
    index = (ROOT / "console" / "index.html").read_text()
    preloaded = set(re.findall(r'rel="modulepreload" href="([^"]+)"', index))
    modules = {p.relative_to(ROOT / "console").as_posix() for p in (ROOT / "console" / "js").rglob("*.js")}
    assert preloaded == modules - {"js/app.js"}
    code = "".join(p.read_text() for p in (ROOT / "console" / "js").rglob("*.js"))
    assert not re.search(r"\.(inner|outer)HTML\s*=|insertAdjacentHTML|document\.write|eval\(", code)


def _answer(origin: str | None) -> dict[str, Any]:
    def register(app: APIGatewayRestResolver) -> None:
        @app.get("/v1/ping")
        def ping() -> dict[str, bool]:
            return {"ok": True}

    app = http.resolver(register, "https://console.example")
    event = {
        "resource": "/v1/ping",
        "path": "/v1/ping",
        "httpMethod": "GET",
        "headers": {"Origin": origin} if origin else {},
        "multiValueHeaders": {"Origin": [origin]} if origin else {},
        "queryStringParameters": None,
        "requestContext": {"resourcePath": "/v1/ping", "httpMethod": "GET", "stage": "v1"},
        "body": None,
    }
    answer: dict[str, Any] = app.resolve(event, cast(Any, None))
    return answer


def test_the_api_answers_the_console_origin_with_cors_headers_and_no_other():
    allowed = _answer("https://console.example")["multiValueHeaders"]
    assert allowed["Access-Control-Allow-Origin"] == ["https://console.example"]
    assert "Idempotency-Key" in allowed["Access-Control-Allow-Headers"][0]
    for other in ("https://evil.example", None):
        assert "Access-Control-Allow-Origin" not in _answer(other)["multiValueHeaders"]

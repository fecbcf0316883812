"""The console at /console/ on the local gateway: the files of console/, its config.json and the
state machines' graphs derived from statemachines/ on each request (an edit shows on reload), with
the security headers CloudFront sends in AWS."""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response

from shared import topology as t
from shared.console_site import CONSOLE_DIR, console_config, security_headers, workflow_graph

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "/console"
_TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".json": "application/json"}


class ConsoleFiles:
    def __init__(self, root: Path = ROOT) -> None:
        self._site = (root / CONSOLE_DIR).resolve()
        self._machines = {m.name: root / m.definition_path for m in t.STATE_MACHINES}

    @staticmethod
    def serves(path: str) -> bool:
        return path == PREFIX or path.startswith(PREFIX + "/")

    def handle(self, request: Request) -> Response:
        if request.path == PREFIX:
            return self._answer(Response(status=308, headers={"Location": PREFIX + "/"}))
        if request.method not in ("GET", "HEAD"):
            return self._answer(Response("method not allowed\n", status=405, headers={"Allow": "GET, HEAD"}))
        relative = request.path[len(PREFIX) + 1 :] or "index.html"
        if relative == "config.json":
            return self._json(console_config(api=""))
        if relative.startswith("statemachines/") and relative.endswith(".json"):
            source = self._machines.get(relative.removeprefix("statemachines/").removesuffix(".json"))
            if source is not None:
                return self._json(workflow_graph(json.loads(source.read_text())))
        file = (self._site / relative).resolve()
        if not file.is_relative_to(self._site) or not file.is_file() or file.name.startswith("."):
            return self._answer(Response("not found\n", status=404, content_type="text/plain; charset=utf-8"))
        kind = _TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        charset = "; charset=utf-8" if kind.startswith("text/") or kind == "application/json" else ""
        return self._answer(Response(file.read_bytes(), content_type=kind + charset))

    def _json(self, body: dict[str, Any]) -> Response:
        return self._answer(Response(json.dumps(body), content_type="application/json; charset=utf-8"))

    @staticmethod
    def _answer(response: Response) -> Response:
        response.headers.update(security_headers())
        response.headers["Cache-Control"] = "no-cache"
        return response

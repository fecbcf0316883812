"""A WSGI app served on loopback by a daemon thread (the gateway, the invoke server)."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import make_server


class Served:
    def __init__(self, app: Any, port: int, name: str) -> None:
        self._server = make_server("127.0.0.1", port, app, threaded=True)
        self.port: int = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

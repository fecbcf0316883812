"""The SES outbox: every email the emulated SES accepted, as an .eml and an .html file a person can open.

Reads moto's SES backend in this process (moto keeps sent mail there) and renders templated
mail with SES's own TestRenderTemplate logic.
"""

from __future__ import annotations

import email
import json
import logging
import re
import shutil
import threading
from email.message import Message
from pathlib import Path
from typing import Any

from moto.ses.models import TemplateMessage, ses_backends

from devstack.provision import ACCOUNT

log = logging.getLogger("devstack.outbox")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60] or "message"


class Outbox:
    def __init__(self, folder: Path, region: str) -> None:
        self.folder = folder
        self._region = region
        self._seen = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)
        # Each start has fresh emulators: mail from an earlier run would only mislead.
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            try:
                self.flush()
            except Exception:  # one unrenderable message must not stop the outbox
                log.exception("outbox flush failed")

    def flush(self) -> int:
        """Writes any mail sent since the last flush; returns how many."""
        backend = ses_backends[ACCOUNT][self._region]
        sent = list(backend.sent_messages[self._seen :])
        for message in sent:
            self._seen += 1
            if isinstance(message, TemplateMessage):
                try:
                    self._write(self._seen, message, backend)
                except Exception:
                    log.exception("could not render message %s", message.id)
        return len(sent)

    def _write(self, number: int, message: TemplateMessage, backend: Any) -> None:
        rendered = backend.render_template({"name": message.template, "data": message.template_data})
        mime: Message = email.message_from_string(rendered)
        to = ", ".join(a for addresses in message.destinations.values() for a in addresses)
        mime["From"] = message.source
        mime["To"] = to
        mime["Message-ID"] = f"<{message.id}@waybill.local>"
        stem = f"{number:04d}-{message.template}-{_slug(str(mime['Subject']))}"
        (self.folder / f"{stem}.eml").write_text(mime.as_string())
        html = next(
            (part.get_payload(decode=True) for part in mime.walk() if part.get_content_type() == "text/html"),
            None,
        )
        if isinstance(html, bytes):
            (self.folder / f"{stem}.html").write_bytes(html)
        meta = {"message_id": message.id, "template": message.template, "to": to, "subject": mime["Subject"]}
        (self.folder / f"{stem}.json").write_text(json.dumps(meta, indent=2))

"""The SES outbox: every email the emulated SES accepted, as an .eml and an .html file a person can open.

Reads moto's SES backend in this process (moto keeps sent mail there) and renders templated
mail with moto's SES template renderer (escaping the HTML part, as SES does).
"""

from __future__ import annotations

import html
import json
import logging
import re
import shutil
import threading
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from moto.ses.models import TemplateMessage, ses_backends
from moto.ses.template import parse_template

from devstack.provision import ACCOUNT
from shared.email.templates import TemplateParts

log = logging.getLogger("devstack.outbox")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60] or "message"


class Outbox:
    def __init__(self, folder: Path, region: str) -> None:
        self.folder = folder
        self._region = region
        self._seen = 0
        self._lock = threading.Lock()
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
        with self._lock:  # the stack's flush and this outbox's own thread: each message once
            return self._flush()

    def _flush(self) -> int:
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
        template = backend.templates[message.template]
        to = ", ".join(a for addresses in message.destinations.values() for a in addresses)
        mime = render_message(
            TemplateParts(message.template, template["subject_part"], template["html_part"], template["text_part"]),
            json.loads(message.template_data),
            sender=message.source,
            to=to,
            message_id=f"<{message.id}@waybill.local>",
            at=datetime.now(UTC),
        )
        stem = f"{number:04d}-{message.template}-{_slug(str(mime['Subject']))}"
        (self.folder / f"{stem}.eml").write_bytes(bytes(mime))
        html = mime.get_body(("html",))
        if html is not None:
            (self.folder / f"{stem}.html").write_text(html.get_content())
        meta = {"message_id": message.id, "template": message.template, "to": to, "subject": mime["Subject"]}
        (self.folder / f"{stem}.json").write_text(json.dumps(meta, indent=2))


def _escaped(value: Any) -> Any:
    if isinstance(value, str):
        return html.escape(value)
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    if isinstance(value, dict):
        return {k: _escaped(v) for k, v in value.items()}
    return value


def render_message(
    parts: TemplateParts, data: dict[str, Any], *, sender: str, to: str, message_id: str, at: datetime
) -> EmailMessage:
    """The message SES would send, rendered with moto's template renderer (SES's Handlebars syntax).

    SES's Handlebars escapes `{{value}}` in the HTML part; moto's renderer does not, so the HTML
    part is rendered from escaped data here (a customer named <img onerror=...> stays text).
    """
    mime = EmailMessage()
    mime["From"] = sender
    mime["To"] = to
    mime["Subject"] = parse_template(parts.subject, data)
    mime["Date"] = format_datetime(at)  # RFC 5322
    mime["Message-ID"] = message_id
    # 8bit, as SES sends UTF-8 text: the .eml stays readable (and searchable) as it is
    mime.set_content(parse_template(parts.text, data), cte="8bit")
    mime.add_alternative(parse_template(parts.html, _escaped(data)), subtype="html", cte="8bit")
    return mime

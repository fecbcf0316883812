"""Reads the SES template files (subject, HTML, text) kept beside this module."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class TemplateParts:
    name: str
    subject: str
    html: str
    text: str


def load(name: str) -> TemplateParts:
    return TemplateParts(
        name=name,
        subject=(_DIR / f"{name}.subject.txt").read_text().strip(),
        html=(_DIR / f"{name}.html").read_text(),
        text=(_DIR / f"{name}.txt").read_text(),
    )

"""The README tour as steps a test can run: its shell blocks, cut into steps, each with the answers
the README documents under it (`# expect: ...` lines; the README's tour explains the notation)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

TOUR_HEADING = "## A short tour"
WILDCARD = "..."
_EXPECT = re.compile(r"^# expect(?: within (\d+)s)?: ?(.*)$")
_CONTINUED = re.compile(r"^#\s{2,}\S")  # an answer's JSON going on over the next comment lines
_START = re.compile(r"^((?:[A-Z_][A-Z0-9_]*=\S*\s+)*)make dev\b")
_STATUS = re.compile(r"^HTTP/[\d.]+ (\d{3})", re.MULTILINE)


@dataclass(frozen=True)
class Answer:
    status: int | None = None
    json: Any = None
    has_json: bool = False
    contains: str | None = None

    @classmethod
    def parse(cls, text: str) -> Answer:
        text = text.strip()
        if text.startswith("contains "):
            return cls(contains=text.removeprefix("contains "))
        status = None
        found = re.match(r"HTTP (\d{3})\s*", text)
        if found:
            status, text = int(found.group(1)), text[found.end() :]
        if not text:
            return cls(status=status)
        return cls(status=status, json=json.loads(text), has_json=True)

    def problem(self, output: str) -> str | None:
        """Why the output is not this answer; None when it is."""
        if self.contains is not None:
            return None if self.contains in output else f"output does not contain {self.contains!r}"
        body = output
        if self.status is not None:
            statuses = list(_STATUS.finditer(output))
            if not statuses or int(statuses[-1].group(1)) != self.status:
                return f"expected HTTP {self.status}, got {[m.group(0) for m in statuses] or 'no status line'}"
            rest = output[statuses[-1].end() :]
            blank = re.search(r"\r?\n\r?\n", rest)
            body = rest[blank.end() :] if blank else ""
        if not self.has_json:
            return None
        values = json_values(body)
        if not values:
            return "the output holds no JSON"
        return mismatch(self.json, values[-1], "$")


@dataclass
class Step:
    script: str
    answers: list[Answer] = field(default_factory=list)
    within_s: float | None = None  # run again until it answers so, for at most this long
    line: int = 0  # where it starts in the README, for messages


@dataclass
class Block:
    line: int
    steps: list[Step]
    start_env: dict[str, str] | None = None  # a `make dev` block: the stack starts with this environment


def json_values(text: str) -> list[Any]:
    """Every JSON value in the text, in order (jq prints one per result)."""
    decoder, values, at = json.JSONDecoder(), [], 0
    while at < len(text):
        if text[at].isspace():
            at += 1
            continue
        try:
            value, at = decoder.raw_decode(text, at)
        except ValueError:
            at = text.find("\n", at) + 1 or len(text)  # not JSON: skip the line
            continue
        values.append(value)
    return values


def mismatch(expected: Any, actual: Any, where: str) -> str | None:
    """None when actual has what expected shows (see the README's notation); else where it differs."""
    if expected == WILDCARD:
        return None
    if isinstance(expected, str) and WILDCARD in expected:
        pattern = ".*".join(re.escape(part) for part in expected.split(WILDCARD))
        ok = isinstance(actual, str) and re.fullmatch(pattern, actual, re.DOTALL)
        return None if ok else f"{where}: {actual!r} is not of the form {expected!r}"
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{where}: expected an object, got {actual!r}"
        for key, value in expected.items():
            if key not in actual:
                return f"{where}: no {key!r} in {json.dumps(actual)[:300]}"
            problem = mismatch(value, actual[key], f"{where}.{key}")
            if problem:
                return problem
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return f"{where}: expected a list, got {actual!r}"
        if expected and expected[-1] == WILDCARD:
            for i, item in enumerate(expected[:-1]):
                if all(mismatch(item, candidate, where) for candidate in actual):
                    return f"{where}: nothing like {json.dumps(item)} in {json.dumps(actual)[:300]} (item {i})"
            return None
        if len(expected) != len(actual):
            return f"{where}: expected {len(expected)} items, got {len(actual)}: {json.dumps(actual)[:300]}"
        for i, (item, candidate) in enumerate(zip(expected, actual, strict=True)):
            problem = mismatch(item, candidate, f"{where}[{i}]")
            if problem:
                return problem
        return None
    if expected != actual or type(expected) is not type(actual):
        return f"{where}: expected {expected!r}, got {actual!r}"
    return None


def tour(readme: str) -> list[Block]:
    """The tour's shell blocks, in order, each cut into steps at answers and blank lines."""
    lines = readme.splitlines()
    start = lines.index(TOUR_HEADING)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    blocks, i = [], start
    while i < end:
        if lines[i].strip() == "```sh":
            close = lines.index("```", i + 1)
            blocks.append(_block(lines[i + 1 : close], i + 2))
            i = close
        i += 1
    return blocks


def _block(lines: list[str], first_line: int) -> Block:
    for text in lines:
        started = _START.match(text)
        if started:
            env = dict(pair.split("=", 1) for pair in started.group(1).split())
            return Block(first_line, [], start_env=env)
    steps: list[Step] = []
    current: list[str] = []
    current_line = first_line
    i = 0
    while i < len(lines):
        text = lines[i]
        expect = _EXPECT.match(text)
        if expect:
            answer_text = expect.group(2)
            while i + 1 < len(lines) and _CONTINUED.match(lines[i + 1]):
                i += 1
                answer_text += " " + lines[i][1:].strip()
            if current and any(s.strip() for s in current):
                steps.append(Step("\n".join(current), line=current_line))
                current = []
            if not steps:
                raise ValueError(f"README line {first_line + i}: an answer with no command above it")
            steps[-1].answers.append(Answer.parse(answer_text))
            if expect.group(1):
                steps[-1].within_s = float(expect.group(1))
        elif not text.strip():
            if any(s.strip() for s in current):
                steps.append(Step("\n".join(current), line=current_line))
            current = []
        else:
            if not current:
                current_line = first_line + i
            current.append(text)
        i += 1
    if any(s.strip() for s in current):
        steps.append(Step("\n".join(current), line=current_line))
    return Block(first_line, steps)

"""Bulk import of nodes and stock from CSV or JSON through the HTTP API (so every row is validated
the same way). Stock rows are grouped per node into adjustments of at most 50 lines whose
references derive from the file's content: importing the same file twice changes nothing."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from shared.schemas.inventory import MAX_ADJUSTMENT_LINES

_STREET = ("line1", "line2", "city", "region", "postal_code", "country")  # printed on the node's labels
NODE_FIELDS = ("node_id", "kind", "name", "lat", "lon", *_STREET, "ships", "pickup", "handling_cost", "daily_capacity")
STOCK_FIELDS = ("node_id", "sku", "quantity", "safety_stock", "reorder_point", "reorder_quantity")


@dataclass
class ImportReport:
    rows: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self, what: str) -> str:
        rate = self.rows / self.seconds if self.seconds else 0.0
        return (
            f"{what}: {self.rows} rows in {self.requests} requests, {len(self.errors)} errors, "
            f"{self.seconds:.1f} s ({rate:,.0f} rows/s)"
        )


def read_rows(path: Path) -> list[dict[str, Any]]:
    text = path.read_text()
    if path.suffix.lower() == ".json":
        rows = json.loads(text)
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ValueError(f"{path}: expected a JSON array of objects")
        return rows
    return [{k: v for k, v in row.items() if v not in (None, "")} for row in csv.DictReader(io.StringIO(text))]


def _number(value: Any, kind: type[int] | type[float]) -> Any:
    return kind(value) if isinstance(value, str) else value


def _flag(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y")
    return bool(value)


def node_body(row: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": row.get("kind", "warehouse"),
        "ships": _flag(row.get("ships"), True),
        "pickup": _flag(row.get("pickup"), False),
        "handling_cost": _number(row.get("handling_cost", 0), int),
    }
    if row.get("name"):
        body["name"] = row["name"]
    if row.get("lat") is not None and row.get("lon") is not None:
        street = {part: row[part] for part in _STREET if row.get(part)}
        body["address"] = {**street, "lat": _number(row["lat"], float), "lon": _number(row["lon"], float)}
    if row.get("daily_capacity") is not None:
        body["daily_capacity"] = _number(row["daily_capacity"], int)
    return body


def adjustments(rows: list[dict[str, Any]], digest: str, kind: str) -> Iterator[dict[str, Any]]:
    per_node: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        line = {"sku": row["sku"], "quantity": _number(row["quantity"], int)}
        for name in ("safety_stock", "reorder_point", "reorder_quantity"):
            if row.get(name) is not None:
                line[name] = _number(row[name], int)
        per_node[row["node_id"]].append(line)
    for node_id, lines in sorted(per_node.items()):
        for start in range(0, len(lines), MAX_ADJUSTMENT_LINES):
            yield {
                "reference": f"import-{digest}-{node_id}-{start // MAX_ADJUSTMENT_LINES}",
                "node_id": node_id,
                "type": kind,
                "reason": "bulk import",
                "lines": lines[start : start + MAX_ADJUSTMENT_LINES],
            }


class Importer:
    def __init__(self, api: str, key: str, workers: int = 8) -> None:
        self._api = api.rstrip("/")
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {key}"
        self._workers = workers

    def _send(self, method: str, path: str, body: dict[str, Any], label: str) -> str | None:
        answer = self._session.request(method, self._api + path, json=body, timeout=60)
        if answer.status_code >= 300:
            return f"{label}: {answer.status_code} {answer.text[:300]}"
        return None

    def nodes(self, path: Path) -> ImportReport:
        began, rows = time.perf_counter(), read_rows(path)
        report = ImportReport(rows=len(rows), requests=len(rows))
        with ThreadPoolExecutor(self._workers) as pool:
            results = pool.map(
                lambda r: self._send("PUT", f"/v1/nodes/{r['node_id']}", node_body(r), f"node {r['node_id']}"),
                rows,
            )
            report.errors = [e for e in results if e]
        report.seconds = time.perf_counter() - began
        return report

    def stock(self, path: Path, kind: str = "receipt") -> ImportReport:
        began, rows = time.perf_counter(), read_rows(path)
        digest = hashlib.sha256(path.read_bytes() + kind.encode()).hexdigest()[:12]
        batches = list(adjustments(rows, digest, kind))
        report = ImportReport(rows=len(rows), requests=len(batches))
        with ThreadPoolExecutor(self._workers) as pool:
            results = pool.map(lambda b: self._send("POST", "/v1/inventory/adjustments", b, b["reference"]), batches)
            report.errors = [e for e in results if e]
        report.seconds = time.perf_counter() - began
        return report

"""The console's browser tests: one embedded stack and one Chromium for the whole session, a few
orders in known states, and a page signed in with a seeded key."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from tests.e2e.conftest import RunningStack, _payer, start_stack, stop_stack
from tests.unit.builders import capture_body

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"  # Debian's chromium; scripts/test.sh installs it when missing
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"  # npm axe-core, pinned in package.json
SHOTS = ROOT / ".waybill" / "screenshots" / "console"
HOSTILE = "<img src=x onerror=alert(1)>"
NODE = "con-dc"
SKU = "CON-TEE"
LOW_SKU = "CON-MUG"  # stocked below its reorder point: a reorder suggestion
AUSTIN = {"lat": 30.27, "lon": -97.74}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/test.sh does)"
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def console_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("console") / "state")
    yield running
    stop_stack(running)


def place(stack: RunningStack, line2: str | None = None, name: str = "Ada Lovelace", quantity: int = 2) -> str:
    pay = _payer(stack)
    ship_to = {**capture_body()["ship_to"], **AUSTIN, "name": name}
    if line2:
        ship_to["line2"] = line2
    body = capture_body(
        external_id=f"CON-{uuid.uuid4().hex[:8]}",
        customer={"email": "ada@example.com", "name": name},
        ship_to=ship_to,
        lines=[{"sku": SKU, "quantity": quantity, "unit_amount": 1900, "name": "Organic T-shirt"}],
        shipping_amount=500,
        tax_amount=0,
        payment={"stripe_payment_intent": pay(quantity * 1900 + 500)},
    )
    answer = stack.call("POST", "/v1/orders", json=body)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["order_id"])


@dataclass(frozen=True)
class Orders:
    delivered: str  # shipped from NODE and delivered: label, documents, a full execution
    rejected: str  # every node rejects it (sim:reject): EXCEPTION, fulfilment_failed
    rejected_too: str  # another, acted on from the queue
    hostile: str  # the customer's name is markup
    cancelled: str  # cancelled by ops before it shipped: refunded


@pytest.fixture(scope="session")
def orders(console_stack: RunningStack) -> Orders:
    return seed(console_stack)


def seed(stack: RunningStack) -> Orders:
    node = {"kind": "warehouse", "name": "Console DC", "address": AUSTIN, "handling_cost": 100}
    assert stack.call("PUT", f"/v1/nodes/{NODE}", "admin", json=node).status_code in (200, 201)
    receipt = {
        "reference": "console-stock",
        "node_id": NODE,
        "type": "receipt",
        "lines": [
            {"sku": SKU, "quantity": 500, "safety_stock": 5},
            {"sku": LOW_SKU, "quantity": 3, "reorder_point": 10, "reorder_quantity": 40},
        ],
    }
    assert stack.call("POST", "/v1/inventory/adjustments", "admin", json=receipt).status_code == 200
    made = Orders(
        delivered=place(stack),
        rejected=place(stack, line2="sim:reject"),
        rejected_too=place(stack, line2="sim:reject"),
        hostile=place(stack, name=HOSTILE),
        cancelled=place(stack, line2="sim:silent"),
    )
    cancel = stack.call("POST", f"/v1/orders/{made.cancelled}/cancel", "ops", json={"reason": "seeded"})
    assert cancel.status_code == 202, cancel.text
    stack.wait_for(made.delivered, lambda o: o["status"] == "DELIVERED", who="ops", timeout_s=120)
    for rejected in (made.rejected, made.rejected_too):
        stack.wait_for(rejected, lambda o: o["status"] == "EXCEPTION", who="ops", timeout_s=120)
    settled = [{"status": "SUCCEEDED"}]
    stack.wait_for(made.cancelled, lambda o: [{"status": r["status"]} for r in o["refunds"]] == settled, who="ops")
    return made


class Console:
    """A page of the console and what went wrong in it (console errors, CSP reports, dialogs)."""

    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.base = base
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("dialog", lambda dialog: self.problems.append(f"a dialog opened: {dialog.message}"))

    def _console(self, message: ConsoleMessage) -> None:
        # an API answer of 4xx is the browser's "Failed to load resource", which pages handle
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"console error: {message.text}")

    def open(self, route: str = "") -> None:
        self.page.goto(f"{self.base}#/{route}")

    def sign_in(self, key: str, refused: bool = False) -> None:
        self.open("signin")
        self.page.get_by_label("API key").fill(key)
        self.page.get_by_role("button", name="Sign in").click()
        if not refused:  # signed in once the page it lands on is drawn
            self.page.get_by_role("button", name="Sign out").wait_for()
            self.page.locator("main:not([aria-busy])").wait_for()

    def axe(self) -> list[dict[str, Any]]:
        """axe-core's serious and critical violations on the page as it is now."""
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            # evaluated through the DevTools protocol, which the page's CSP does not govern
            self.page.evaluate(AXE.read_text() + "\n;0")
        result = self.page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        return [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]

    def screenshot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        shot = SHOTS / f"{name}.png"
        png = self.page.screenshot(path=str(shot), full_page=True)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        print(f"screenshot: {shot}")
        return shot

    def session(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(
            self.page.evaluate(
                "JSON.stringify({session: {...sessionStorage}, local: {...localStorage}, url: location.href})"
            )
        )
        return found


@pytest.fixture
def console(browser: Browser, console_stack: RunningStack) -> Iterator[Console]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    opened = Console(page, f"{console_stack.api}/console/")
    yield opened
    context.close()
    assert opened.problems == []

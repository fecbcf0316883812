"""The console in headless Chromium against the embedded stack: sign-in by key kind, the key kept in
sessionStorage only, every page drawn from the API with no serious or critical accessibility
violation (axe-core), hostile data shown as text, and the actions ops and finance take from it.
Every page test leaves its screenshot in .waybill/screenshots/console/."""

from __future__ import annotations

import csv
import io
import re

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import HOSTILE, LOW_SKU, NODE, SKU, Console, Orders
from tests.e2e.conftest import RunningStack

# one worker runs them all, so they share the session's stack (scripts/test.sh: --dist loadgroup)
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("console")]


def test_a_channel_key_and_an_unknown_key_are_refused_at_sign_in(console: Console, console_stack: RunningStack):
    console.sign_in(console_stack.key("web"), refused=True)
    expect(console.page.get_by_role("alert")).to_contain_text("not an ops or finance key")
    console.sign_in("wb_nobody_" + "x" * 40, refused=True)
    expect(console.page.get_by_role("alert")).to_contain_text("unknown or revoked")
    assert console.session()["session"] == {}
    expect(console.page.get_by_role("navigation")).to_be_hidden()
    assert console.axe() == []
    console.screenshot("signin")


def test_the_key_lives_in_session_storage_only_and_sign_out_forgets_it(console: Console, console_stack: RunningStack):
    key = console_stack.key("ops")
    console.sign_in(key)
    expect(console.page.get_by_text("Signed in with a ops key")).to_be_visible()
    stored = console.session()
    assert key in stored["session"]["waybill.session"]
    assert stored["local"] == {}
    assert key not in stored["url"]
    console.page.get_by_role("button", name="Sign out").click()
    expect(console.page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert console.session()["session"] == {"waybill.notice": "Signed out."} or console.session()["session"] == {}
    assert key not in str(console.session())


def test_a_finance_key_sees_finance_and_orders_only(console: Console, console_stack: RunningStack):
    console.sign_in(console_stack.key("finance"))
    expect(console.page.get_by_role("heading", name="Finance", exact=True)).to_be_visible()
    links = console.page.get_by_role("navigation").get_by_role("link").all_inner_texts()
    assert links == ["Orders", "Finance"]
    console.open("inventory")  # not a finance page: back to finance
    expect(console.page).to_have_url(re.compile(r"#/finance$"))


def test_the_order_page_tells_the_order_story(console: Console, console_stack: RunningStack, orders: Orders):
    console.sign_in(console_stack.key("ops"))
    console.open(f"order/{orders.delivered}")
    page = console.page
    expect(page.get_by_role("heading", name=f"Order {orders.delivered}")).to_contain_text("DELIVERED")
    lines = page.get_by_role("table", name="Order lines")
    expect(lines).to_contain_text(SKU)
    expect(lines).to_contain_text("Organic T-shirt")
    expect(page.get_by_text("43.00 USD")).to_be_visible()  # 2 x 19.00 + 5.00 shipping
    routing = page.locator("section", has=page.get_by_role("heading", name="Routing"))
    expect(routing).to_contain_text(f"{NODE} is the only eligible node")
    expect(page.get_by_role("table", name="Routing candidates")).to_contain_text(NODE)
    shipments = page.get_by_role("table", name="Shipments")
    label = shipments.get_by_role("link", name="Label (PDF)")
    assert requests.get(str(label.get_attribute("href")), timeout=30).content[:5] == b"%PDF-"
    expect(shipments.get_by_role("link", name="packing slip")).to_be_visible()
    expect(shipments.get_by_role("link", name="pick list")).to_be_visible()
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("captured")
    expect(timeline).to_contain_text("delivered")
    # drawn from the ASL: the run's preparation, then each shipment's fulfilment, every state of each
    drawn = {
        "preparation": ("CheckPayment", "SendConfirmation", "ReserveOrder", "RecordException"),
        "fulfilment": ("RequestFulfilment", "Reroute", "BuyLabel", "HandOver", "RecordException"),
    }
    blocks = page.locator("article.execution")
    expect(blocks).to_have_count(2)
    for block, (machine, states) in zip((blocks.nth(0), blocks.nth(1)), drawn.items(), strict=True):
        expect(block.get_by_role("heading", level=3)).to_contain_text(machine)
        graph = block.locator("svg.graph")
        expect(graph).to_be_visible()
        for state in states:
            expect(graph.locator(f'[data-state="{state}"]')).to_have_count(1)
    assert console.axe() == []
    console.screenshot("order")


def test_a_hostile_customer_name_is_shown_as_text(console: Console, console_stack: RunningStack, orders: Orders):
    console.sign_in(console_stack.key("ops"))
    console.open(f"order/{orders.hostile}")
    expect(console.page.get_by_text(f"{HOSTILE} <ada@example.com>")).to_be_visible()
    expect(console.page.get_by_text(f"{HOSTILE}, 1 Main St", exact=False)).to_be_visible()
    assert console.page.locator('img[src="x"]').count() == 0
    assert console.page.locator("img").count() == 0  # nothing in the console is an image made of data
    # a dialog (alert) would be one of the problems the fixture checks at the end


def test_inventory_shows_a_sku_across_nodes_and_reorder_suggestions(
    console: Console, console_stack: RunningStack, orders: Orders
):
    console.sign_in(console_stack.key("ops"))
    console.open(f"inventory/{SKU}")
    page = console.page
    stock = page.get_by_role("table", name=f"Stock of {SKU} per node")
    row = stock.get_by_role("row").filter(has_text=NODE)
    expect(row).to_be_visible()
    cells = row.get_by_role("cell").all_inner_texts()
    levels = console_stack.call("GET", f"/v1/inventory/{SKU}", "ops").json()
    at = next(x for x in levels["nodes"] if x["node_id"] == NODE)
    assert cells[:5] == [NODE, str(at["on_hand"]), str(at["reserved"]), "5", str(at["available"])]
    expect(stock.get_by_role("row").filter(has_text="Total")).to_be_visible()
    suggestions = page.get_by_role("table", name="Reorder suggestions")
    expect(suggestions.get_by_role("row").filter(has_text=LOW_SKU)).to_contain_text("40")
    assert console.axe() == []
    console.screenshot("inventory")


def test_finance_reconciles_a_day_lists_it_and_downloads_its_csv(
    console: Console, console_stack: RunningStack, orders: Orders
):
    console.sign_in(console_stack.key("finance"))
    page = console.page
    expect(page.get_by_role("table", name="Refund ledger").or_(page.get_by_text("No refund matches."))).to_be_visible()
    page.get_by_role("button", name="Reconcile this day").click()
    report = page.locator("article.reconciliation")
    expect(report).to_be_visible()
    classes = report.get_by_role("table", name="Reconciliation per class")
    for kind in ("matched", "missing in stripe", "missing in waybill", "amount mismatch", "status mismatch"):
        expect(classes).to_contain_text(kind)
    with page.expect_download() as download:
        report.get_by_role("link", name="Download CSV").click()
    path = download.value.path()
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    mine = [r for r in rows if r["order_id"] == orders.cancelled]
    assert [(r["kind"], r["ledger_amount"], r["stripe_amount"]) for r in mine] == [("matched", "4300", "4300")]
    rec_id = str(report.get_attribute("data-reconciliation"))
    stored = console_stack.call("GET", f"/v1/finance/reconciliations/{rec_id}", "finance").json()
    assert len(rows) == len(stored["rows"])
    expect(classes.get_by_role("row").filter(has_text="matched").first).to_contain_text(
        str(stored["summary"]["matched"]["count"])
    )

    # the past reconciliations, newest first: the one just run on top, with its count per class
    past = page.get_by_role("table", name="Past reconciliations")
    newest = past.get_by_role("row").nth(1)
    day = stored["period_start"][:10]  # the link shows the day, and names the reconciliation
    expect(newest.get_by_role("link", name=f"{day} {rec_id}", exact=True)).to_have_attribute(
        "href", f"#/finance?rec={rec_id}"
    )
    columns = past.get_by_role("columnheader").all_inner_texts()
    shown = dict(zip(columns, newest.get_by_role("cell").all_inner_texts(), strict=True))
    assert {kind: shown[kind.replace("_", " ")] for kind in stored["summary"]} == {
        kind: str(s["count"]) for kind, s in stored["summary"].items()
    }
    assert (shown["Result"], shown["Refunds"]) == ("clean" if stored["clean"] else "differences", str(len(rows)))
    with page.expect_download() as listed_download:
        newest.get_by_role("link", name=f"CSV {rec_id}", exact=True).click()
    assert listed_download.value.path().read_text() == path.read_text()
    assert console.axe() == []
    console.screenshot("finance")

"""The console's operations pages in headless Chromium, on the operations API: the exception queue
with its actions, order search across pages, and each execution drawn with what happened to every
state. Screenshots land in .waybill/screenshots/console/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Console, Orders
from tests.e2e.conftest import RunningStack

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("console")]


def test_the_queue_counts_per_type_and_lists_the_rejected_orders_oldest_first(
    console: Console, console_stack: RunningStack, orders: Orders
):
    console.sign_in(console_stack.key("ops"))
    page = console.page
    expect(page.get_by_role("heading", name="Exceptions")).to_be_visible()
    for order_id in (orders.rejected, orders.rejected_too):
        row = page.locator(f'tr[data-order="{order_id}"]')
        expect(row).to_contain_text("fulfilment failed")
        expect(row.get_by_role("button", name="Cancel order")).to_be_visible()
    counts = page.get_by_role("list", name="Exceptions per type")
    expect(counts.locator('[data-type="fulfilment_failed"] .count')).to_have_text(
        str(page.locator('tr[data-type="fulfilment_failed"]').count())
    )
    since = page.locator("table.queue time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    assert since == sorted(since), "oldest first"
    assert console.axe() == []
    console.screenshot("queue")


def test_an_action_in_the_queue_asks_a_reason_shows_the_result_and_the_row_leaves(
    console: Console, console_stack: RunningStack, orders: Orders
):
    console.sign_in(console_stack.key("ops"))
    page = console.page
    row = page.locator(f'tr[data-order="{orders.rejected_too}"]')
    row.get_by_role("button", name="Cancel order").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Confirm").click()  # no reason: the form refuses
    expect(dialog).to_be_visible()
    dialog.get_by_label("Reason").fill("duplicate of another order")
    dialog.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("status").filter(has_text="Cancel order done")).to_contain_text(orders.rejected_too)
    expect(row).to_have_count(0)
    page.reload()
    expect(page.get_by_role("heading", name="Exceptions")).to_be_visible()
    expect(page.locator(f'tr[data-order="{orders.rejected}"]')).to_be_visible()
    expect(page.locator(f'tr[data-order="{orders.rejected_too}"]')).to_have_count(0)
    history = console_stack.call("GET", f"/v1/orders/{orders.rejected_too}", "ops").json()["history"]
    assert any("duplicate of another order" in str(entry) for entry in history)


def test_a_rejected_order_found_in_the_queue_shows_its_failed_step_and_is_cancelled_from_its_page(
    console: Console, console_stack: RunningStack, orders: Orders
):
    console.sign_in(console_stack.key("ops"))
    page = console.page
    page.locator(f'tr[data-order="{orders.rejected}"]').get_by_role("link", name=orders.rejected).click()
    heading = page.get_by_role("heading", name=f"Order {orders.rejected}")
    expect(heading).to_contain_text("EXCEPTION")
    # the run's preparation succeeded; the shipment's fulfilment failed at its request and recorded it
    preparation = page.locator(f'article.execution[data-execution="{orders.rejected}"] svg.graph')
    expect(preparation.locator('[data-state="CheckPayment"]')).to_have_attribute("data-outcome", "succeeded")
    expect(preparation.locator('[data-state="RecordException"]')).to_have_attribute("data-outcome", "not_reached")
    shipment = page.locator(f'article.execution[data-execution="{orders.rejected}-S1"]')
    graph = shipment.locator("svg.graph")
    expect(graph.locator('[data-state="RequestFulfilment"]')).to_have_attribute("data-outcome", "failed")
    expect(graph.locator('[data-state="RecordException"]')).to_have_attribute("data-outcome", "succeeded")
    expect(graph.locator('[data-state="BuyLabel"]')).to_have_attribute("data-outcome", "not_reached")
    expect(shipment.get_by_role("table")).to_contain_text("ShipmentUnroutable")
    assert console.axe() == []
    console.screenshot("order-failed-execution")

    page.get_by_role("button", name="Cancel order").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Reason").fill("customer asked on the phone")
    dialog.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("status").filter(has_text="Cancel order done")).to_contain_text("CANCELLED")
    expect(heading).to_contain_text("CANCELLED")
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("ops:ops")
    expect(timeline).to_contain_text("customer asked on the phone")
    console.open("queue")
    expect(page.get_by_role("heading", name="Exceptions")).to_be_visible()
    expect(page.locator(f'tr[data-order="{orders.rejected}"]')).to_have_count(0)
    # the refund settles at Stripe a moment later
    for _ in range(40):
        console.open(f"order/{orders.rejected}")
        refunds = page.get_by_role("table", name="Refunds")
        expect(page.get_by_role("heading", name=f"Order {orders.rejected}")).to_be_visible()
        if refunds.count() and "SUCCEEDED" in refunds.inner_text():
            break
        page.wait_for_timeout(500)
    expect(page.get_by_role("table", name="Refunds")).to_contain_text("43.00 USD")
    expect(page.get_by_role("table", name="Refunds")).to_contain_text("SUCCEEDED")


def test_a_delivered_execution_is_green_along_its_path(console: Console, console_stack: RunningStack, orders: Orders):
    console.sign_in(console_stack.key("ops"))
    console.open(f"order/{orders.delivered}")
    runs = {
        f"{orders.delivered}": ("CheckPayment", "SendConfirmation", "ReserveOrder"),  # the run's preparation
        f"{orders.delivered}-S1": ("RequestFulfilment", "BuyLabel", "HandOver"),  # its shipment's fulfilment
    }
    for run, path in runs.items():
        graph = console.page.locator(f'article.execution[data-execution="{run}"] svg.graph')
        for state in path:
            expect(graph.locator(f'[data-state="{state}"]')).to_have_attribute("data-outcome", "succeeded")
        expect(graph.locator('[data-state="RecordException"]')).to_have_attribute("data-outcome", "not_reached")
    shipment = console.page.locator(f'article.execution[data-execution="{orders.delivered}-S1"] svg.graph')
    expect(shipment.locator('[data-state="Reroute"]')).to_have_attribute("data-outcome", "not_reached")


def test_order_search_filters_and_pages_through_every_order_once(
    console: Console, console_stack: RunningStack, orders: Orders
):
    console.sign_in(console_stack.key("ops"))
    console.open("orders?channel=web&limit=2")
    page = console.page
    seen: list[str] = []
    while True:
        table = page.get_by_role("table", name="Orders found")
        expect(table).to_be_visible()
        seen += table.locator("tbody tr td:first-child").all_inner_texts()
        following = page.get_by_role("button", name="Next page")
        if following.is_disabled():
            break
        number = page.locator(".page-number").inner_text()
        following.click()
        expect(page.locator(".page-number")).not_to_have_text(number)
    assert len(seen) == len(set(seen))
    assert {orders.delivered, orders.rejected, orders.rejected_too, orders.hostile} <= set(seen)
    assert console.axe() == []
    console.screenshot("orders")
    console.open("orders?status=DELIVERED")
    expect(page.get_by_role("table", name="Orders found")).to_contain_text(orders.delivered)
    expect(page.get_by_role("table", name="Orders found")).not_to_contain_text(orders.rejected)

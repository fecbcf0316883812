// Inventory: one SKU across the nodes (on hand, reserved, safety stock, available) and the open
// reorder suggestions.

import { get } from "../api.js";
import { field, h, pager, section, table } from "../dom.js";
import { when } from "../format.js";

const n = (v) => (v === null || v === undefined ? "" : String(v));
const PAGE = 50;

// The open suggestions a page at a time, by SKU then node.
async function suggestionsPanel(stale) {
  const results = h("div", { "aria-live": "polite" });
  const pages = pager(async (cursor) => {
    const answer = await get("/v1/reorder-suggestions", { limit: PAGE, cursor });
    if (stale()) return undefined;
    results.replaceChildren(
      table(
        "Reorder suggestions",
        [
          { title: "SKU", value: (x) => h("a", { href: `#/inventory/${encodeURIComponent(x.sku)}` }, x.sku) },
          { title: "Node", value: (x) => x.node_id },
          { title: "Available", value: (x) => n(x.available), class: "num" },
          { title: "Reorder point", value: (x) => n(x.reorder_point), class: "num" },
          { title: "Order quantity", value: (x) => n(x.quantity), class: "num" },
          { title: "Suggested", value: (x) => when(x.suggested_at) },
        ],
        answer.suggestions,
        "No SKU is below its reorder point.",
      ),
    );
    return answer.next;
  });
  await pages.load();
  return [results, pages.el];
}

export async function render(main, { args, go, stale }) {
  const sku = args[0] || "";
  const input = h("input", { name: "sku", value: sku, required: true, pattern: "[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}" });
  const form = h("form", { class: "filters", role: "search", "aria-label": "Look up a SKU" }, field("SKU", input), h("button", { type: "submit" }, "Show stock"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    go(`#/inventory/${encodeURIComponent(input.value.trim())}`);
  });
  main.append(h("h1", {}, "Inventory"), form);
  const [stock, suggestions] = await Promise.all([sku ? get(`/v1/inventory/${encodeURIComponent(sku)}`) : null, suggestionsPanel(stale)]);
  if (stale()) return;
  if (stock) {
    const rows = [...stock.nodes, { node_id: "Total", ...stock.total, total: true }];
    main.append(
      section(
        `Stock of ${stock.sku}`,
        table(
          `Stock of ${stock.sku} per node`,
          [
            { title: "Node", value: (r) => (r.total ? h("strong", {}, "Total") : r.node_id) },
            { title: "On hand", value: (r) => n(r.on_hand), class: "num" },
            { title: "Reserved", value: (r) => n(r.reserved), class: "num" },
            { title: "Safety stock", value: (r) => n(r.safety_stock), class: "num" },
            { title: "Available", value: (r) => n(r.available), class: "num" },
            { title: "Reorder point", value: (r) => n(r.reorder_point), class: "num" },
          ],
          stock.nodes.length ? rows : [],
          `No node holds ${stock.sku}.`,
        ),
      ),
    );
  }
  main.append(section("Reorder suggestions", ...suggestions));
}

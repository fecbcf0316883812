// Order search: status, channel, dates, SKU and node, a page at a time (the API's cursors).

import { get } from "../api.js";
import { badge, field, h, pager, table } from "../dom.js";
import { money, when } from "../format.js";

const STATUSES = [
  "RECEIVED", "RESERVED", "RELEASED", "PARTIALLY_SHIPPED", "SHIPPED", "DELIVERED", "BACKORDERED", "ON_HOLD",
  "CANCELLED", "EXCEPTION", "RETURN_REQUESTED", "RETURNED",
];
const FILTERS = ["status", "channel", "created_from", "created_to", "sku", "node_id"];
const PAGE = 25;

// A date field means the whole UTC day: from its start, to (before) the start of the day after "to".
function asTime(name, value) {
  if (!value) return undefined;
  const day = new Date(`${value}T00:00:00Z`);
  if (name === "created_to") day.setUTCDate(day.getUTCDate() + 1);
  return day.toISOString();
}

function form(params, go) {
  const status = h("select", { name: "status" }, h("option", { value: "" }, "any"), STATUSES.map((st) => h("option", { value: st, selected: params.get("status") === st }, st)));
  const inputs = {
    status,
    channel: h("input", { name: "channel", value: params.get("channel") || "" }),
    created_from: h("input", { name: "created_from", type: "date", value: params.get("created_from") || "" }),
    created_to: h("input", { name: "created_to", type: "date", value: params.get("created_to") || "" }),
    sku: h("input", { name: "sku", value: params.get("sku") || "" }),
    node_id: h("input", { name: "node_id", value: params.get("node_id") || "" }),
  };
  const el = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Search orders" },
    field("Status", inputs.status),
    field("Channel", inputs.channel),
    field("Created from", inputs.created_from),
    field("Created to", inputs.created_to),
    field("SKU", inputs.sku),
    field("Node", inputs.node_id),
    h("button", { type: "submit" }, "Search"),
  );
  el.addEventListener("submit", (event) => {
    event.preventDefault();
    const q = new URLSearchParams();
    for (const f of FILTERS) if (inputs[f].value.trim()) q.set(f, inputs[f].value.trim());
    go(`#/orders${q.toString() ? `?${q}` : ""}`);
  });
  return el;
}

export async function render(main, { params, go, stale }) {
  main.append(h("h1", {}, "Orders"), form(params, go));
  const query = { limit: Number(params.get("limit")) || PAGE };
  for (const f of FILTERS) if (params.get(f)) query[f] = f.startsWith("created_") ? asTime(f, params.get(f)) : params.get(f);
  const results = h("div", { "aria-live": "polite" });
  const pages = pager(async (cursor) => {
    const answer = await get("/v1/orders", { ...query, cursor });
    if (stale()) return undefined;
    results.replaceChildren(
      table(
        "Orders found",
        [
          { title: "Order", value: (o) => h("a", { href: `#/order/${encodeURIComponent(o.order_id)}` }, o.order_id) },
          { title: "External id", value: (o) => o.external_id },
          { title: "Channel", value: (o) => o.channel },
          { title: "Status", value: (o) => badge(o.status) },
          { title: "Created", value: (o) => when(o.created_at) },
          { title: "Total", value: (o) => money(o.grand_total, o.currency), class: "num" },
          { title: "Open exceptions", value: (o) => (o.open_exceptions || []).join(", ").replace(/_/g, " ") },
        ],
        answer.orders,
        "No order matches.",
      ),
    );
    return answer.next;
  });
  main.append(results, pages.el);
  await pages.load();
}

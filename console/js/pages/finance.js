// Finance: the refund ledger with its filters, and reconciliations of the ledger against Stripe:
// the past ones newest first with their classes, each report per class and row with its CSV to
// download, and a button that reconciles a day now.

import { describe, get, post } from "../api.js";
import { badge, facts, field, h, pager, section, table, toast } from "../dom.js";
import { money, today, when } from "../format.js";

const PAGE = 10;
const LEDGER_PAGE = 50;
const ROWS_PAGE = 100;

function ledgerForm(params, go) {
  const status = h(
    "select",
    { name: "status" },
    h("option", { value: "" }, "any"),
    ["PENDING", "SUCCEEDED", "FAILED"].map((st) => h("option", { value: st, selected: params.get("status") === st }, st)),
  );
  const inputs = {
    status,
    order_id: h("input", { name: "order_id", value: params.get("order_id") || "" }),
    since: h("input", { name: "since", type: "date", value: params.get("since") || "" }),
    until: h("input", { name: "until", type: "date", value: params.get("until") || "" }),
  };
  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Filter the refund ledger" },
    field("Status", status),
    field("Order", inputs.order_id),
    field("Created from", inputs.since),
    field("Created before", inputs.until),
    h("button", { type: "submit" }, "Filter"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const q = new URLSearchParams();
    for (const [k, el] of Object.entries(inputs)) if (el.value.trim()) q.set(k, el.value.trim());
    go(`#/finance${q.toString() ? `?${q}` : ""}`);
  });
  return form;
}

function ledgerQuery(params) {
  const day = (v) => (v ? `${v}T00:00:00Z` : undefined);
  return { status: params.get("status"), order_id: params.get("order_id"), since: day(params.get("since")), until: day(params.get("until")) };
}

// amounts per currency, never added across currencies
const amounts = (perCurrency) => Object.entries(perCurrency || {}).map(([c, a]) => money(a, c)).join(", ");
const className = (kind) => kind.replace(/_/g, " ");
const opened = (id) => `#/finance?rec=${encodeURIComponent(id)}`;

function reconciliationView(rec) {
  const link = (url, text, file) => h("a", { href: url, download: file, class: "button" }, text);
  // the summary names every class, those with no refund too
  const summary = Object.entries(rec.summary).map(([kind, x]) => ({ kind, ...x }));
  return h(
    "article",
    { class: "reconciliation", "data-reconciliation": rec.reconciliation_id },
    h("h3", {}, `Reconciliation ${rec.reconciliation_id} `, badge(rec.clean ? "clean" : "differences")),
    facts([
      ["Period", `${when(rec.period_start)} to ${when(rec.period_end)}`],
      ["Ran", rec.ran_at ? when(rec.ran_at) : null],
    ]),
    table(
      "Reconciliation per class",
      [
        { title: "Class", value: (x) => className(x.kind) },
        { title: "Refunds", value: (x) => String(x.count), class: "num" },
        { title: "Ledger", value: (x) => amounts(x.ledger_amounts), class: "num" },
        { title: "Stripe", value: (x) => amounts(x.stripe_amounts), class: "num" },
      ],
      summary,
    ),
    rec.rows
      ? table(
          "Reconciliation rows",
          [
            { title: "Class", value: (r) => className(r.kind) },
            { title: "Refund", value: (r) => r.refund_id || r.stripe_refund_id || "" },
            { title: "Order", value: (r) => (r.order_id ? h("a", { href: `#/order/${encodeURIComponent(r.order_id)}` }, r.order_id) : "") },
            { title: "Ledger", value: (r) => money(r.ledger_amount, r.currency), class: "num" },
            { title: "Stripe", value: (r) => money(r.stripe_amount, r.currency), class: "num" },
            { title: "Detail", value: (r) => r.detail },
          ],
          rec.rows,
          "No refund in this period.",
        )
      : null,
    h("p", { class: "downloads" }, link(rec.csv_url, "Download CSV", `${rec.reconciliation_id}.csv`), " ", link(rec.json_url, "Download JSON", `${rec.reconciliation_id}.json`)),
  );
}

// A report with its rows a page at a time (a month's reconciliation can hold thousands of rows).
async function reconciliationPanel(id, stale) {
  const results = h("div", { "aria-live": "polite" });
  const pages = pager(async (cursor) => {
    const rec = await get(`/v1/finance/reconciliations/${encodeURIComponent(id)}`, { limit: ROWS_PAGE, cursor });
    if (stale()) return undefined;
    results.replaceChildren(reconciliationView(rec));
    return rec.next;
  });
  await pages.load();
  return [results, pages.el];
}

function reconcilePanel(params, go) {
  const date = h("input", { name: "date", type: "date", value: params.get("day") || today(), required: true });
  const button = h("button", { type: "submit" }, "Reconcile this day");
  const lookup = h("input", { name: "reconciliation_id", value: params.get("rec") || "", placeholder: "rec_…" });
  const out = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "filters", "aria-label": "Reconcile a day" }, field("Day (UTC)", date), button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    out.replaceChildren(h("p", {}, "Reconciling…"));
    try {
      const created = await post("/v1/finance/reconciliations", { date: date.value });
      toast(`Reconciled ${date.value}: ${created.clean ? "clean" : "differences found"}.`);
      go(opened(created.reconciliation_id));
    } catch (error) {
      out.replaceChildren(h("p", { class: "error", role: "alert" }, describe(error)));
    } finally {
      button.disabled = false;
    }
  });
  const find = h("form", { class: "filters", role: "search", "aria-label": "Open a reconciliation" }, field("Reconciliation id", lookup), h("button", { type: "submit", class: "secondary" }, "Open"));
  find.addEventListener("submit", (event) => {
    event.preventDefault();
    go(opened(lookup.value.trim()));
  });
  return { panel: [form, find, out], out };
}

// One column per class the listed reconciliations name, in the API's order: the console names no class itself.
function pastReconciliations(list) {
  const classes = [...new Set(list.flatMap((rec) => Object.keys(rec.summary)))];
  // the id is in each link's name (for screen readers), the day and time on screen
  const named = (rec) => h("span", { class: "visually-hidden" }, ` ${rec.reconciliation_id}`);
  const day = (rec) => h("a", { href: opened(rec.reconciliation_id) }, rec.day || `${when(rec.period_start)} to ${when(rec.period_end)}`, named(rec));
  const csv = (rec) => h("a", { href: rec.csv_url, download: `${rec.reconciliation_id}.csv` }, "CSV", named(rec));
  return table(
    "Past reconciliations",
    [
      { title: "Day", value: day },
      { title: "Ran", value: (rec) => when(rec.ran_at) },
      { title: "Result", value: (rec) => badge(rec.clean ? "clean" : "differences") },
      ...classes.map((kind) => ({ title: className(kind), value: (rec) => String(rec.summary[kind]?.count ?? 0), class: "num" })),
      { title: "Refunds", value: (rec) => String(rec.totals.count), class: "num" },
      { title: "Ledger", value: (rec) => amounts(rec.totals.ledger_amounts), class: "num" },
      { title: "Stripe", value: (rec) => amounts(rec.totals.stripe_amounts), class: "num" },
      { title: "Report", value: csv },
    ],
    list,
    "No reconciliation yet.",
  );
}

async function pastPanel(stale) {
  const results = h("div", { "aria-live": "polite" });
  const pages = pager(async (cursor) => {
    const answer = await get("/v1/finance/reconciliations", { limit: PAGE, cursor });
    if (stale()) return undefined;
    results.replaceChildren(pastReconciliations(answer.reconciliations));
    return answer.next;
  });
  await pages.load();
  return [h("h3", {}, "Past reconciliations"), results, pages.el];
}

export async function render(main, { params, kind, go, stale }) {
  main.append(h("h1", {}, "Finance"));
  if (kind === "finance") {
    const { panel, out } = reconcilePanel(params, go);
    const reconciliations = section("Reconciliations", panel);
    main.append(reconciliations);
    if (params.get("rec")) {
      try {
        out.replaceChildren(...(await reconciliationPanel(params.get("rec"), stale)));
      } catch (error) {
        out.replaceChildren(h("p", { class: "error", role: "alert" }, describe(error)));
      }
    }
    const past = await pastPanel(stale);
    if (stale()) return;
    reconciliations.append(...past);
  }
  const ledger = await ledgerPanel(params, stale);
  if (stale()) return;
  main.append(section("Refund ledger", ledgerForm(params, go), ...ledger));
}

// The ledger a page at a time, oldest first: a page may be short (a page reads a bounded number of
// days) while there is a next one.
async function ledgerPanel(params, stale) {
  const results = h("div", { "aria-live": "polite" });
  const pages = pager(async (cursor) => {
    // a page of the API reads a bounded number of days: empty ones are read past, so a page shown
    // holds refunds or is the end of the listing
    let answer = await get("/v1/finance/refunds", { ...ledgerQuery(params), limit: LEDGER_PAGE, cursor });
    for (let hops = 0; !answer.refunds.length && answer.next && hops < 20 && !stale(); hops += 1) {
      answer = await get("/v1/finance/refunds", { ...ledgerQuery(params), limit: LEDGER_PAGE, cursor: answer.next });
    }
    if (stale()) return undefined;
    results.replaceChildren(
      table(
        "Refund ledger",
        [
          { title: "Refund", value: (r) => r.refund_id },
          { title: "Order", value: (r) => h("a", { href: `#/order/${encodeURIComponent(r.order_id)}` }, r.order_id) },
          { title: "Amount", value: (r) => money(r.amount, r.currency), class: "num" },
          { title: "Reason", value: (r) => r.reason },
          { title: "Status", value: (r) => badge(r.status) },
          { title: "Stripe refund", value: (r) => r.stripe_refund_id || r.failure_reason || "" },
          { title: "Created", value: (r) => when(r.created_at) },
          { title: "Settled", value: (r) => when(r.settled_at) },
        ],
        answer.refunds,
        answer.next ? "No refund in these days; the next page reads on." : "No refund matches.",
      ),
    );
    return answer.next;
  });
  await pages.load();
  return [results, pages.el];
}

// The exception queue: everything that needs a person, counted per type, oldest first. Each row
// offers the actions the API allows for it; one asks a reason, shows the result, and the row leaves.

import { act, askReason, label } from "../actions.js";
import { describe, get, post } from "../api.js";
import { field, h, toast } from "../dom.js";
import { age, when } from "../format.js";

const FILTERS = ["type", "channel", "node_id", "min_age_s"];

function filterForm(params, counts, go) {
  const inputs = Object.fromEntries(FILTERS.map((f) => [f, h("input", { name: f, value: params.get(f) || "" })]));
  inputs.min_age_s.setAttribute("placeholder", "e.g. 3600");
  inputs.min_age_s.setAttribute("inputmode", "numeric");
  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Filter the exceptions" },
    field("Type", inputs.type),
    field("Channel", inputs.channel),
    field("Node", inputs.node_id),
    field("Older than (s)", inputs.min_age_s),
    h("button", { type: "submit" }, "Filter"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const q = new URLSearchParams();
    for (const f of FILTERS) if (inputs[f].value.trim()) q.set(f, inputs[f].value.trim());
    go(`#/queue${q.toString() ? `?${q}` : ""}`);
  });
  return form;
}

function countsBar(counts, params) {
  const entries = Object.entries(counts || {}).sort((a, b) => b[1] - a[1]);
  return h(
    "ul",
    { class: "counts", "aria-label": "Exceptions per type" },
    entries.map(([type, n]) =>
      h(
        "li",
        {},
        h(
          "a",
          { href: `#/queue?type=${encodeURIComponent(type)}`, "aria-current": params.get("type") === type ? "true" : null, "data-type": type },
          h("span", { class: "count" }, String(n)),
          ` ${type.replace(/_/g, " ")}`,
        ),
      ),
    ),
  );
}

export async function render(main, { params, go, stale }) {
  const query = { order: "oldest", limit: 50 };
  for (const f of FILTERS) if (params.get(f)) query[f] = params.get(f);
  const first = await get("/v1/ops/exceptions", query);
  if (stale()) return;
  const counts = { ...first.counts };
  const countsHolder = h("div", {}, countsBar(counts, params));
  const body = h("tbody", {});
  const table = h(
    "table",
    { class: "queue" },
    h("caption", { class: "visually-hidden" }, "Exceptions, oldest first"),
    h("thead", {}, h("tr", {}, ["Since", "Order", "Channel", "Type", "Reason", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
    body,
  );
  const more = h("button", { type: "button", class: "secondary" }, "Show more");
  const empty = h("p", { class: "empty" }, "Nothing needs a person. ");

  const leave = (row, type) => {
    row.remove();
    if (counts[type]) counts[type] -= 1;
    if (!counts[type]) delete counts[type];
    countsHolder.replaceChildren(countsBar(counts, params));
    empty.hidden = body.children.length > 0;
  };

  // a dead-letter queue holding messages: no order; its one action moves them back to their queue
  const letterRow = (x) => {
    const result = h("span", { class: "result", role: "status" });
    const redrive = async () => {
      result.textContent = "Working…";
      try {
        const moved = await post(`/v1/ops/dead-letters/${encodeURIComponent(x.subject)}/redrive`, { limit: 100 });
        toast(`Moved ${moved.moved} message(s) back to ${moved.queue}; ${moved.remaining} left.`);
        if (!moved.remaining) leave(row, x.type);
        else result.textContent = `${moved.remaining} left`;
      } catch (error) {
        result.textContent = `Redrive refused: ${describe(error)}`;
      }
    };
    const row = h(
      "tr",
      { "data-queue": x.subject, "data-type": x.type },
      h("td", {}, h("time", { datetime: x.since, title: when(x.since) }, `${age(x.since)} ago`)),
      h("td", {}, `${x.subject} queue`),
      h("td", {}, "—"),
      h("td", {}, x.type.replace(/_/g, " ")),
      h("td", {}, x.reason),
      h("td", { class: "actions" }, h("button", { type: "button", class: "small", onclick: redrive }, label("redrive")), result),
    );
    return row;
  };

  const rowOf = (x) => {
    if (x.type === "dead_letter") return letterRow(x);
    const result = h("span", { class: "result", role: "status" });
    const row = h(
      "tr",
      { "data-order": x.order_id, "data-type": x.type },
      h("td", {}, h("time", { datetime: x.since, title: when(x.since) }, `${age(x.since)} ago`)),
      h("td", {}, h("a", { href: `#/order/${encodeURIComponent(x.order_id)}` }, x.order_id), h("br"), h("small", {}, x.external_id)),
      h("td", {}, x.channel),
      h("td", {}, x.type.replace(/_/g, " ")),
      h("td", {}, x.reason),
      h(
        "td",
        { class: "actions" },
        (x.actions || []).map((action) =>
          h(
            "button",
            {
              type: "button",
              class: action === "cancel" ? "small danger" : "small",
              onclick: async () => {
                const answer = await askReason(`${label(action)}: ${x.order_id}`, {
                  needsNode: action === "reroute",
                  mayOverride: action === "release_hold" && x.type === "payment_hold",
                });
                if (!answer) return;
                result.textContent = "Working…";
                try {
                  const after = await act(x.order_id, action, answer);
                  toast(`${label(action)} done: ${x.order_id} is now ${after.status}.`);
                  leave(row, x.type);
                } catch (error) {
                  result.textContent = `${label(action)} refused: ${describe(error)}`;
                }
              },
            },
            label(action),
          ),
        ),
        result,
      ),
    );
    return row;
  };

  let next = first.next;
  const add = (page) => {
    body.append(...page.exceptions.map(rowOf));
    next = page.next;
    more.hidden = !next;
    empty.hidden = body.children.length > 0;
  };
  more.addEventListener("click", async () => {
    try {
      add(await get("/v1/ops/exceptions", { ...query, cursor: next }));
    } catch (error) {
      toast(describe(error), "error");
    }
  });
  main.append(h("h1", {}, "Exceptions"), countsHolder, filterForm(params, counts, go), table, empty, more);
  add(first);
}

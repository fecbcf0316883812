// The order's whole story: status, lines, totals, where it ships from and why, shipments with their
// label and documents, returns, refunds, who did what, and each execution drawn from its ASL.

import { act, askReason, label } from "../actions.js";
import { describe, get, post } from "../api.js";
import { badge, facts, h, section, table, toast } from "../dom.js";
import { durationMs, errorOf, executionName, machine, outcomes, stepOutcome } from "../executions.js";
import { age, duration, money, when } from "../format.js";
import { OUTCOMES, drawGraph } from "../graph.js";

const orderPath = (id) => `/v1/orders/${encodeURIComponent(id)}`;

function address(a) {
  if (!a) return null;
  return [a.name, a.line1, a.line2, `${a.city} ${a.region} ${a.postal_code}`, a.country].filter(Boolean).join(", ");
}

function link(url, text) {
  return url ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, text) : null;
}

function summary(order) {
  return facts([
    ["External id", order.external_id],
    ["Channel", order.channel],
    ["Created", when(order.created_at)],
    ["Customer", `${order.customer.name} <${order.customer.email}>`],
    ["Ship to", address(order.ship_to)],
    ["Delivery", `${order.delivery.method}, ${order.delivery.service_level}${order.delivery.pickup_node ? ` at ${order.delivery.pickup_node}` : ""}`],
    ["Payment", `${order.payment.check}${order.payment.hold_reason ? `: ${order.payment.hold_reason}` : ""}`],
    ["Exception", order.exception_cause],
  ]);
}

function exceptionsSection(order, kind, reload) {
  const open = order.exceptions.filter((e) => !e.resolved_at);
  const buttons = (e) =>
    kind === "ops"
      ? e.actions.map((action) =>
          h("button", { type: "button", class: "small", onclick: () => runAction(order.order_id, action, reload) }, label(action)),
        )
      : null;
  return section(
    "Exceptions",
    table(
      "Open exceptions",
      [
        { title: "Type", value: (e) => e.type },
        { title: "Reason", value: (e) => e.reason },
        { title: "Since", value: (e) => `${when(e.since)} (${age(e.since)} ago)` },
        { title: "About", value: (e) => e.subject || "the order" },
        { title: "Actions", value: buttons },
      ],
      open,
      "No open exception.",
    ),
  );
}

async function runAction(orderId, action, reload) {
  const answer = await askReason(`${label(action)}: ${orderId}`, {
    needsNode: action === "reroute",
    mayOverride: action === "release_hold",
  });
  if (!answer) return;
  try {
    const after = action === "cancel" ? await cancel(orderId, answer.reason) : await act(orderId, action, answer);
    toast(`${label(action)} done: ${orderId} is ${after.status}.`);
    reload();
  } catch (error) {
    toast(`${label(action)} refused: ${describe(error)}`, "error");
  }
}

// Cancelling is POST /cancel (channel or ops), the same whether or not the order is in an exception.
const cancel = (orderId, reason) => post(`${orderPath(orderId)}/cancel`, { reason });

function linesSection(order) {
  const m = (v) => money(v, order.currency);
  return section(
    "Lines and totals",
    table(
      "Order lines",
      [
        { title: "Line", value: (l) => l.line_id },
        { title: "SKU", value: (l) => l.sku },
        { title: "Product", value: (l) => l.name || "" },
        { title: "Quantity", value: (l) => l.quantity, class: "num" },
        { title: "Unit price", value: (l) => m(l.unit_amount), class: "num" },
        { title: "Amount", value: (l) => m(l.amount), class: "num" },
      ],
      order.lines,
    ),
    facts([
      ["Lines", m(order.totals.lines)],
      ["Shipping", m(order.totals.shipping)],
      ["Tax", m(order.totals.tax)],
      ["Grand total", m(order.totals.grand_total)],
    ]),
  );
}

function routingSection(order) {
  const r = order.routing;
  if (!r) return section("Routing", h("p", { class: "empty" }, "Not routed yet."));
  return section(
    "Routing",
    facts([
      ["Outcome", r.outcome],
      ["Why", r.reason],
      ["Decided", when(r.decided_at)],
      ["Candidates weighed", String(r.considered)],
      ["Ships from", r.allocations.map((a) => `${a.node_id}: ${a.quantity} × ${a.sku}`).join("; ") || "nowhere"],
      ["Backordered", r.backordered.map((b) => `${b.line_id} × ${b.quantity}`).join("; ")],
    ]),
    table(
      "Routing candidates",
      [
        { title: "Nodes", value: (c) => c.node_ids.join(" + ") },
        { title: "Fills the order", value: (c) => (c.fills ? "yes" : "no") },
        { title: "Score", value: (c) => c.score.toFixed(2), class: "num" },
        { title: "Note", value: (c) => c.note },
      ],
      r.candidates,
      "No candidate was considered.",
    ),
  );
}

function shipmentsSection(order) {
  const rows = order.shipments;
  return section(
    "Shipments",
    table(
      "Shipments",
      [
        { title: "Shipment", value: (x) => [x.shipment_id, x.replaces ? ` (replaces ${x.replaces})` : ""] },
        { title: "Node", value: (x) => x.node_id },
        { title: "Status", value: (x) => badge(x.status) },
        { title: "Lines", value: (x) => x.lines.map((l) => `${l.quantity} × ${l.sku}`).join(", ") },
        {
          title: "Carrier",
          value: (x) =>
            x.label ? [`${x.label.carrier} ${x.label.service} `, link(x.label.tracking_url, x.label.tracking_number)] : "",
        },
        {
          title: "Documents",
          value: (x) =>
            h(
              "ul",
              { class: "inline" },
              x.label && x.label.download_url ? h("li", {}, link(x.label.download_url, "Label (PDF)")) : null,
              Object.entries(x.documents || {}).map(([kind, url]) => h("li", {}, link(url, kind.replace(/_/g, " ")))),
            ),
        },
        { title: "Problem", value: (x) => x.rejected_reason || x.delivery_exception || "" },
      ],
      rows,
      "No shipment yet.",
    ),
  );
}

function returnsSection(order) {
  return section(
    "Returns",
    table(
      "Returns",
      [
        { title: "RMA", value: (r) => r.rma_id },
        { title: "Status", value: (r) => badge(r.status) },
        { title: "To node", value: (r) => r.node_id },
        { title: "Lines", value: (r) => r.lines.map((l) => `${l.quantity} × ${l.sku} (${l.resellable} resellable, ${l.damaged} damaged)`).join(", ") },
        { title: "Reason", value: (r) => r.reason },
        { title: "Label", value: (r) => (r.label ? link(r.label.download_url, "Return label (PDF)") || r.label.tracking_number : "") },
        { title: "Opened", value: (r) => when(r.created_at) },
      ],
      order.returns,
      "No return.",
    ),
  );
}

function refundsSection(order) {
  return section(
    "Refunds",
    table(
      "Refunds",
      [
        { title: "Refund", value: (r) => r.refund_id },
        { title: "Amount", value: (r) => money(r.amount, r.currency), class: "num" },
        { title: "Reason", value: (r) => r.reason },
        { title: "Status", value: (r) => badge(r.status) },
        { title: "Stripe", value: (r) => r.stripe_refund_id || r.failure_reason || "" },
        { title: "Created", value: (r) => when(r.created_at) },
      ],
      order.refunds,
      "No refund.",
    ),
  );
}

// Who did it: the audit fields of an entry when it has them, else the principal named in its cause.
function actor(entry) {
  if (entry.actor) return typeof entry.actor === "string" ? entry.actor : `${entry.actor.kind}:${entry.actor.name}`;
  if (entry.by) return entry.by;
  if (entry.principal) return `${entry.principal.kind}:${entry.principal.name}`;
  return "Waybill";
}

function historySection(order) {
  return section(
    "History",
    h(
      "ol",
      { class: "timeline" },
      order.history.map((e) =>
        h(
          "li",
          {},
          h("time", { datetime: e.at }, when(e.at)),
          h("span", { class: "event" }, e.event.replace(/_/g, " ")),
          badge(e.status),
          h("span", { class: "actor" }, actor(e)),
          e.reason ? h("span", { class: "cause" }, `“${e.reason}”`) : null,
          h("span", { class: "cause" }, e.cause),
        ),
      ),
    ),
  );
}

function legend() {
  return h(
    "ul",
    { class: "legend", "aria-label": "Colours of the states" },
    Object.entries(OUTCOMES).map(([key, o]) => h("li", { class: `swatch state-${key}` }, `${o.mark} ${o.label}`.trim())),
  );
}

async function executionBlock(orderId, execution) {
  const name = executionName(execution.arn);
  const block = h("article", { class: "execution", "data-execution": name });
  block.append(
    h("h3", {}, `${execution.state_machine} · ${name}`),
    facts([
      ["Started", when(execution.started_at)],
      ["AWS console", execution.console_url ? link(execution.console_url, "Open in the Step Functions console") : null],
    ]),
  );
  let steps = [];
  let detail = null;
  try {
    detail = await get(`${orderPath(orderId)}/executions/${encodeURIComponent(name)}`);
    steps = detail.steps || [];
  } catch (error) {
    block.append(h("p", { class: "error" }, `Its steps could not be read: ${describe(error)}`));
  }
  if (detail) {
    const run = detail.execution;
    block.append(
      facts([
        ["Status", badge(run.status)],
        ["Stopped", when(run.stopped_at)],
        ["Error", run.error ? errorOf(run) : null],
      ]),
    );
  }
  try {
    const asl = await machine(execution.state_machine);
    const byState = outcomes(steps);
    const runs = (state) => steps.filter((x) => x.name === state);
    const describeState = (state, type, outcome) => {
      const mine = runs(state);
      const took = mine.map((x) => duration(durationMs(x))).filter(Boolean).join(", ");
      const failed = mine.find((x) => x.error);
      return [`${state} (${type}): ${OUTCOMES[outcome].label}`, took ? `took ${took}` : "", failed ? errorOf(failed) : ""]
        .filter(Boolean)
        .join(" — ");
    };
    block.append(legend(), h("div", { class: "graph-scroll" }, drawGraph(asl, byState, { title: `${execution.state_machine} execution ${name}`, describeState })));
  } catch (error) {
    block.append(h("p", { class: "error" }, describe(error)));
  }
  block.append(
    table(
      `Steps of ${name}`,
      [
        { title: "State", value: (x) => (x.iteration === null || x.iteration === undefined ? x.name : `${x.name} (shipment ${x.iteration + 1})`) },
        { title: "Outcome", value: (x) => h("span", { class: `outcome state-${stepOutcome(x)}` }, OUTCOMES[stepOutcome(x)].label) },
        { title: "Entered", value: (x) => when(x.entered_at) },
        { title: "Duration", value: (x) => duration(durationMs(x)), class: "num" },
        { title: "Retries", value: (x) => String(x.retries || 0), class: "num" },
        { title: "Error", value: (x) => errorOf(x), class: "error-text" },
      ],
      steps,
      "No step recorded.",
    ),
  );
  return block;
}

export async function render(main, { args, kind, go, stale }) {
  const id = args[0];
  const order = await get(orderPath(id));
  if (stale()) return;
  const reload = () => go(`#/order/${encodeURIComponent(id)}`);
  const header = h("div", { class: "page-head" }, h("h1", {}, `Order ${order.order_id} `, badge(order.status)));
  if (kind === "ops" && !["CANCELLED", "DELIVERED", "SHIPPED", "RETURNED"].includes(order.status)) {
    header.append(h("button", { type: "button", class: "danger", onclick: () => runAction(order.order_id, "cancel", reload) }, "Cancel order"));
  }
  const executions = section("Executions", h("p", { class: "empty" }, order.executions.length ? "Loading…" : "No execution."));
  main.append(
    header,
    summary(order),
    exceptionsSection(order, kind, reload),
    linesSection(order),
    routingSection(order),
    shipmentsSection(order),
    returnsSection(order),
    refundsSection(order),
    historySection(order),
    executions,
  );
  const blocks = await Promise.all(order.executions.map((e) => executionBlock(order.order_id, e)));
  if (stale()) return;
  executions.querySelector("p.empty")?.remove();
  executions.append(...blocks);
}

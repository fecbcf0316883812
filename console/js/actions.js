// Acting on an order: a dialog asks for the reason (and the node for a re-route), then the call is
// made once with an Idempotency-Key, so a double click or a retry after a network error is harmless.

import { post } from "./api.js";
import { field, h } from "./dom.js";

export const ACTION_LABELS = {
  release_hold: "Release hold",
  retry: "Retry",
  reroute: "Re-route",
  cancel: "Cancel order",
};

export function label(action) {
  return ACTION_LABELS[action] || action.replace(/_/g, " ");
}

/** Asks why; resolves {reason, node_id} or null when the person thinks better of it. */
export function askReason(title, { needsNode = false, mayOverride = false } = {}) {
  return new Promise((resolve) => {
    const reason = h("textarea", { name: "reason", required: true, maxlength: "500", rows: "3" });
    const node = h("input", { name: "node_id", pattern: "[A-Za-z0-9_.\\-]{1,64}" });
    const override = h("input", { type: "checkbox", name: "override" });
    const form = h(
      "form",
      { method: "dialog" },
      h("h2", { id: "dialog-title" }, title),
      field("Reason (kept in the order's history)", reason),
      needsNode ? field("Node (leave empty to follow the routing rules)", node) : null,
      mayOverride
        ? h("div", { class: "check" }, override, h("label", { for: "override-payment" }, "I vouch for the payment (do not check it with Stripe again)"))
        : null,
      h(
        "div",
        { class: "buttons" },
        h("button", { type: "submit", value: "ok" }, "Confirm"),
        h("button", { type: "button", class: "secondary", onclick: () => dialog.close("cancel") }, "Back"),
      ),
    );
    const dialog = h("dialog", { "aria-labelledby": "dialog-title" }, form);
    dialog.addEventListener("close", () => {
      const ok = dialog.returnValue === "ok" && reason.value.trim();
      dialog.remove();
      resolve(ok ? { reason: reason.value.trim(), node_id: node.value.trim() || undefined, override: override.checked } : null);
    });
    override.id = "override-payment";
    document.body.append(dialog);
    dialog.showModal();
    reason.focus();
  });
}

/** POST /v1/orders/{id}/actions; answers the order. */
export function act(orderId, action, { reason, node_id: nodeId, override }, idempotencyKey = crypto.randomUUID()) {
  const body = { action, reason, ...(nodeId ? { node_id: nodeId } : {}), ...(override ? { override: true } : {}) };
  return post(`/v1/orders/${encodeURIComponent(orderId)}/actions`, body, { "Idempotency-Key": idempotencyKey });
}

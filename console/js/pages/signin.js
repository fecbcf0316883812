// Sign-in: the console is for ops and finance keys. Which kind a key is comes from what the API
// lets it read: the analytics reports are for ops and finance alone, the node list for ops (and
// admin, which the reports already refused).

import { ApiError, call, describe } from "../api.js";
import { field, h } from "../dom.js";
import { keep, takeNotice } from "../session.js";

async function allowed(path, key) {
  try {
    await call("GET", path, { key });
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) return false;
    throw error;
  }
}

export async function kindOf(key) {
  if (!(await allowed("/v1/analytics", key))) return null;
  return (await allowed("/v1/nodes?limit=1", key)) ? "ops" : "finance";
}

export function render(main, { go }) {
  const input = h("input", { type: "password", name: "key", autocomplete: "off", required: true, spellcheck: "false" });
  const message = h("p", { class: "form-message", role: "alert" }, takeNotice() || "");
  const form = h(
    "form",
    { class: "signin", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in"),
    h("p", {}, "Enter an ops or finance API key. It is kept in this tab only and forgotten when you sign out."),
    field("API key", input),
    h("button", { type: "submit" }, "Sign in"),
    message,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    message.textContent = "Checking the key…";
    try {
      const kind = await kindOf(key);
      if (kind === null) {
        message.textContent =
          "This key is not an ops or finance key (channel, warehouse, carrier and admin keys cannot use the console).";
        return;
      }
      keep(key, kind);
      input.value = "";
      go(kind === "ops" ? "#/queue" : "#/finance");
    } catch (error) {
      message.textContent =
        error instanceof ApiError && error.status === 401 ? "This key is unknown or revoked." : describe(error);
    }
  });
  main.append(form);
  input.focus();
}

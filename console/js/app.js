// The console's shell: the hash router, the navigation per kind of key, and sign-out.

import { describe } from "./api.js";
import { loadConfig } from "./config.js";
import { clear, h } from "./dom.js";
import * as finance from "./pages/finance.js";
import * as inventory from "./pages/inventory.js";
import * as order from "./pages/order.js";
import * as queue from "./pages/queue.js";
import * as search from "./pages/search.js";
import * as signin from "./pages/signin.js";
import { currentSession, signOut } from "./session.js";

// page name -> [module, title, kinds that see it in the navigation and may open it]
const PAGES = {
  queue: [queue, "Exceptions", ["ops"]],
  orders: [search, "Orders", ["ops", "finance"]],
  order: [order, "Order", ["ops", "finance"]],
  inventory: [inventory, "Inventory", ["ops"]],
  finance: [finance, "Finance", ["ops", "finance"]],
};
const NAV = ["queue", "orders", "inventory", "finance"];

function parse(hash) {
  const [path, q] = (hash.replace(/^#\/?/, "") || "").split("?");
  const [name, ...rest] = path.split("/");
  return { name: name || "", args: rest.map(decodeURIComponent), params: new URLSearchParams(q || "") };
}

export function go(hash) {
  if (window.location.hash === hash) route();
  else window.location.hash = hash;
}

function drawChrome(session, current) {
  const nav = document.getElementById("nav");
  const who = document.getElementById("who");
  clear(nav);
  clear(who);
  nav.hidden = who.hidden = !session;
  if (!session) return;
  const links = NAV.filter((n) => PAGES[n][2].includes(session.kind)).map((n) =>
    h("a", { href: `#/${n}`, "aria-current": n === current || (n === "orders" && current === "order") ? "page" : null }, PAGES[n][1]),
  );
  nav.append(h("ul", {}, links.map((a) => h("li", {}, a))));
  who.append(
    h("span", {}, `Signed in with a ${session.kind} key`),
    h("button", { type: "button", class: "link", onclick: () => signOut("Signed out.") }, "Sign out"),
  );
}

let generation = 0;

async function route() {
  const session = currentSession();
  const { name, args, params } = parse(window.location.hash);
  const main = clear(document.getElementById("main"));
  const mine = ++generation;
  if (!session || name === "signin") {
    drawChrome(null, null);
    document.title = "Sign in · Waybill console";
    signin.render(main, { go });
    return;
  }
  const defaultPage = session.kind === "ops" ? "queue" : "finance";
  const entry = PAGES[name];
  if (!entry || !entry[2].includes(session.kind)) {
    go(`#/${defaultPage}`);
    return;
  }
  const [page, title] = entry;
  drawChrome(session, name);
  document.title = `${title} · Waybill console`;
  main.setAttribute("aria-busy", "true");
  try {
    // a page navigated away from while it loaded draws nothing (`stale()`)
    await page.render(main, { args, params, kind: session.kind, go, stale: () => mine !== generation });
  } catch (error) {
    if (mine === generation) main.append(h("p", { class: "error", role: "alert" }, describe(error)));
  } finally {
    main.removeAttribute("aria-busy");
  }
}

window.addEventListener("hashchange", route);
loadConfig()
  .then(route)
  .catch((error) => {
    document.getElementById("main").append(h("p", { class: "error", role: "alert" }, `The console could not start: ${error.message}`));
  });

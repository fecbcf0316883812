// Building the page with DOM APIs only: every value from the API becomes a text node or an
// attribute value, never markup (no innerHTML anywhere in the console).

const SVG_NS = "http://www.w3.org/2000/svg";

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

function setAttributes(el, attrs) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "href" || name === "src") {
      el.setAttribute(name, safeUrl(value));
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
}

/** An HTML element: h("td", {class: "num"}, "12"). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttributes(el, attrs);
  append(el, children);
  return el;
}

/** An SVG element, the same way. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttributes(el, attrs);
  append(el, children);
  return el;
}

/** Only http(s) links and the console's own hash routes; anything else (javascript:, data:) is dropped. */
export function safeUrl(value) {
  const text = String(value);
  if (text.startsWith("#") || text.startsWith("/")) return text;
  try {
    const url = new URL(text, window.location.href);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : "#";
  } catch {
    return "#";
  }
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

/** A table: columns [{title, value: row => node|text, class?}], rows, and a caption for screen readers. */
export function table(caption, columns, rows, empty = "Nothing to show.") {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  return h(
    "table",
    {},
    h("caption", { class: "visually-hidden" }, caption),
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.class }, c.title)))),
    h(
      "tbody",
      {},
      rows.map((row) => h("tr", {}, columns.map((c) => h("td", { class: c.class }, c.value(row))))),
    ),
  );
}

/** A definition list from [label, value] pairs (values that are null are left out). */
export function facts(pairs) {
  return h(
    "dl",
    { class: "facts" },
    pairs.filter(([, v]) => v !== null && v !== undefined && v !== "").map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
  );
}

export function section(title, ...children) {
  const id = `s-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), children);
}

export function badge(status) {
  const text = String(status ?? "");
  return h("span", { class: `badge badge-${text.toLowerCase().replace(/[^a-z0-9]+/g, "-")}` }, text);
}

/** A labelled form field. */
export function field(label, input) {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), input);
}

export function toast(message, kind = "ok") {
  const el = document.getElementById("toast");
  el.className = `toast toast-${kind}`;
  el.textContent = message;
}

/**
 * Previous and next page over one of the API's listings (its `next` cursors). `show(cursor)` puts a
 * page on the screen and returns the listing's `next`, or undefined when the page went stale.
 */
export function pager(show) {
  const previous = h("button", { type: "button", class: "secondary" }, "Previous page");
  const nextButton = h("button", { type: "button", class: "secondary" }, "Next page");
  const where = h("span", { class: "page-number" });
  const cursors = [null]; // the cursor of each page seen, to go back
  let page = 0;
  let next = null;
  const load = async () => {
    const found = await show(cursors[page] || undefined);
    if (found === undefined) return;
    next = found;
    where.textContent = `Page ${page + 1}`;
    previous.disabled = page === 0;
    nextButton.disabled = !next;
  };
  previous.addEventListener("click", () => {
    page -= 1;
    load();
  });
  nextButton.addEventListener("click", () => {
    cursors[page + 1] = next;
    page += 1;
    load();
  });
  return { el: h("div", { class: "pager" }, previous, where, nextButton), load };
}

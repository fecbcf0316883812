// A state machine drawn from its ASL, top to bottom as the Step Functions console draws it, each
// state coloured by what happened to it in one execution.
//
// Layout: states are ranked by the longest path from StartAt over forward transitions (a transition
// back to a state already on the path, such as a retry loop, is drawn on the side instead); a Map or
// Parallel state is a box holding its own graph.

import { s } from "./dom.js";

export const OUTCOMES = {
  succeeded: { label: "succeeded", mark: "✓" },
  failed: { label: "failed", mark: "✗" },
  retried: { label: "retried", mark: "↻" },
  waiting: { label: "waiting", mark: "…" },
  not_reached: { label: "not reached", mark: "" },
};

const NODE_W = 168;
const NODE_H = 38;
const GAP_X = 22;
const GAP_Y = 34;
const PAD = 14;
const HEADER = 26;
// Catch transitions run down a gutter on the left, as one line into the error handler.
const GUTTER = 24;

/** Transitions out of a state: [{to, kind}] with kind next, choice, default or catch. */
export function transitions(state) {
  const out = [];
  for (const choice of state.Choices || []) out.push({ to: choice.Next, kind: "choice" });
  if (state.Default) out.push({ to: state.Default, kind: "default" });
  if (state.Next) out.push({ to: state.Next, kind: "next" });
  for (const c of state.Catch || []) out.push({ to: c.Next, kind: "catch", errors: c.ErrorEquals || [] });
  return out;
}

function inner(state) {
  if (state.Type === "Map") return [state.ItemProcessor || state.Iterator].filter(Boolean);
  if (state.Type === "Parallel") return state.Branches || [];
  return [];
}

/** Positions of every state of one States block (recursively), in its own coordinates. */
export function layout(machine) {
  const states = machine.States || {};
  const names = Object.keys(states);
  const seen = new Map(); // name -> discovery index
  const onPath = new Set();
  const finished = [];
  const back = new Set(); // "from->to" of transitions drawn on the side
  const visit = (name) => {
    if (!(name in states) || seen.has(name)) return;
    seen.set(name, seen.size);
    onPath.add(name);
    for (const t of transitions(states[name])) {
      if (onPath.has(t.to)) back.add(`${name}->${t.to}`);
      else visit(t.to);
    }
    onPath.delete(name);
    finished.push(name);
  };
  visit(machine.StartAt);
  for (const name of names) visit(name);

  const rank = new Map(names.map((n) => [n, 0]));
  for (const name of finished.slice().reverse()) {
    for (const t of transitions(states[name])) {
      if (!back.has(`${name}->${t.to}`) && t.to in states) rank.set(t.to, Math.max(rank.get(t.to), rank.get(name) + 1));
    }
  }

  const boxes = new Map();
  for (const name of names) {
    const children = inner(states[name]).map(layout);
    let w = NODE_W;
    let hgt = NODE_H;
    if (children.length) {
      w = Math.max(NODE_W, children.reduce((sum, c) => sum + c.width, 0) + GAP_X * (children.length - 1) + 2 * PAD);
      hgt = HEADER + Math.max(...children.map((c) => c.height)) + 2 * PAD;
    }
    boxes.set(name, { name, type: states[name].Type, state: states[name], w, h: hgt, children });
  }
  const ranks = [];
  for (const name of names) (ranks[rank.get(name)] ||= []).push(name);
  const rows = ranks.filter(Boolean).map((row) => row.sort((a, b) => seen.get(a) - seen.get(b)));
  const rowWidth = (row) => row.reduce((sum, n) => sum + boxes.get(n).w, 0) + GAP_X * (row.length - 1);
  const gutter = names.some((n) => (states[n].Catch || []).length) ? GUTTER : 0;
  const widest = Math.max(...rows.map(rowWidth));
  const width = widest + 2 * PAD + gutter;
  let y = PAD;
  for (const row of rows) {
    let x = gutter + PAD + (widest - rowWidth(row)) / 2;
    const rowH = Math.max(...row.map((n) => boxes.get(n).h));
    for (const name of row) {
      const box = boxes.get(name);
      box.x = x;
      box.y = y;
      x += box.w + GAP_X;
    }
    y += rowH + GAP_Y;
  }
  const edges = [];
  for (const name of names) {
    for (const t of transitions(states[name])) {
      if (boxes.has(t.to)) edges.push({ from: name, ...t, back: back.has(`${name}->${t.to}`) });
    }
  }
  return { boxes, edges, gutter, width: Math.max(width, NODE_W + 2 * PAD), height: y - GAP_Y + PAD + 18 };
}

function edgePath(a, b, isBack, gutter) {
  if (gutter && !isBack) {
    // out of the left side, down the gutter, into the handler's left side
    const y1 = a.y + a.h / 2;
    const y2 = b.y + b.h / 2;
    const x = gutter / 2;
    return { d: `M${a.x},${y1} H${x} V${y2} H${b.x - 6}`, end: [b.x, y2] };
  }
  if (isBack) {
    // out of the right side, around, into the right side of the earlier state
    const x1 = a.x + a.w;
    const y1 = a.y + a.h / 2;
    const x2 = b.x + b.w;
    const y2 = b.y + b.h / 2;
    const bulge = Math.max(x1, x2) + 28;
    return { d: `M${x1},${y1} C${bulge},${y1} ${bulge},${y2} ${x2 + 6},${y2}`, end: [x2, y2] };
  }
  const x1 = a.x + a.w / 2;
  const y1 = a.y + a.h;
  const x2 = b.x + b.w / 2;
  const y2 = b.y;
  const dy = Math.max(16, (y2 - y1) / 2);
  return { d: `M${x1},${y1} C${x1},${y1 + dy} ${x2},${y2 - dy} ${x2},${y2 - 6}`, end: [x2, y2] };
}

function drawBlock(plan, outcomeOf, describeState, arrow) {
  const group = s("g", {});
  for (const e of plan.edges) {
    const a = plan.boxes.get(e.from);
    const b = plan.boxes.get(e.to);
    const path = edgePath(a, b, e.back, e.kind === "catch" ? plan.gutter : 0);
    group.append(
      s("path", {
        d: path.d,
        class: `edge edge-${e.kind}${e.back ? " edge-back" : ""}`,
        "marker-end": `url(#${arrow})`,
      }),
    );
  }
  for (const box of plan.boxes.values()) {
    const outcome = outcomeOf(box.name);
    const node = s(
      "g",
      {
        class: `state state-${outcome} state-type-${box.type.toLowerCase()}`,
        transform: `translate(${box.x},${box.y})`,
        "data-state": box.name,
        "data-outcome": outcome,
      },
      s("title", {}, describeState(box.name, box.type, outcome)),
      s("rect", { width: box.w, height: box.h, rx: box.children.length ? 8 : box.type === "Choice" ? 18 : 6 }),
    );
    const mark = OUTCOMES[outcome].mark;
    const labelY = box.children.length ? 17 : box.h / 2 + 4;
    node.append(
      s("text", { x: box.w / 2, y: labelY, "text-anchor": "middle", class: "state-name" }, box.name),
    );
    if (mark) node.append(s("text", { x: box.w - 12, y: labelY, "text-anchor": "middle", class: "state-mark", "aria-hidden": "true" }, mark));
    let x = PAD;
    for (const child of box.children) {
      const block = drawBlock(child, outcomeOf, describeState, arrow);
      block.setAttribute("transform", `translate(${x},${HEADER + PAD})`);
      node.append(block);
      x += child.width + GAP_X;
    }
    group.append(node);
  }
  return group;
}

/**
 * The SVG of `machine` (ASL), states coloured by `outcomes` (state name -> a key of OUTCOMES;
 * absent means not reached). `describeState(name, type, outcome)` is each state's tooltip.
 */
let drawn = 0;

export function drawGraph(machine, outcomes, { title, describeState } = {}) {
  const plan = layout(machine);
  const arrow = `arrow-${++drawn}`;
  const outcomeOf = (name) => outcomes.get(name) || "not_reached";
  const describeFn = describeState || ((name, type, outcome) => `${name} (${type}): ${OUTCOMES[outcome].label}`);
  const svg = s(
    "svg",
    {
      class: "graph",
      viewBox: `0 0 ${plan.width + 40} ${plan.height}`,
      width: plan.width + 40,
      height: plan.height,
      role: "img",
      "aria-label": title || "State machine",
    },
    s(
      "defs",
      {},
      s(
        "marker",
        { id: arrow, viewBox: "0 0 10 10", refX: "8", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" },
        s("path", { d: "M0,0 L10,5 L0,10 z", class: "arrowhead" }),
      ),
    ),
    drawBlock(plan, outcomeOf, describeFn, arrow),
  );
  return svg;
}

// An execution's steps (GET /v1/orders/{id}/executions/{name}) turned into what the graph shows:
// one outcome per state, however many times the state ran (Map iterations, loops).

// the worst outcome of a state's runs wins: a failure shows, then a wait, then a retry
const RANK = { failed: 4, waiting: 3, retried: 2, succeeded: 1 };

export function executionName(arn) {
  return String(arn).split(":").pop();
}

// outcome: succeeded; caught (its task failed and a Catch took over); failed; running (not left yet)
export function stepOutcome(step) {
  const outcome = String(step.outcome || "").toLowerCase();
  if (outcome === "failed" || outcome === "caught") return "failed";
  if (outcome === "running" || !step.exited_at) return "waiting";
  if ((step.retries || 0) > 0) return "retried";
  return "succeeded";
}

export function outcomes(steps) {
  const found = new Map();
  for (const step of steps) {
    const outcome = stepOutcome(step);
    const before = found.get(step.name);
    if (!before || RANK[outcome] > RANK[before]) found.set(step.name, outcome);
  }
  return found;
}

/** A failed step's error, and its cause without the Lambda's stack trace (Lambda's cause is its JSON). */
export function errorOf(step) {
  if (!step.error) return "";
  let cause = step.cause || "";
  try {
    const parsed = JSON.parse(cause);
    if (parsed && typeof parsed.errorMessage === "string") cause = parsed.errorMessage;
  } catch {
    // a plain-text cause stays as it is
  }
  return cause ? `${step.error}: ${cause}` : step.error;
}

export function durationMs(step) {
  if (typeof step.duration_ms === "number") return step.duration_ms;
  if (!step.entered_at || !step.exited_at) return null;
  return new Date(step.exited_at).getTime() - new Date(step.entered_at).getTime();
}

const machines = new Map();

/** The graph of a state machine, derived from its ASL where the console is served. */
export function machine(name) {
  if (!machines.has(name)) {
    const loading = fetch(`statemachines/${encodeURIComponent(name)}.json`).then((r) => {
      if (!r.ok) throw new Error(`no graph for state machine ${name} (HTTP ${r.status})`);
      return r.json();
    });
    loading.catch(() => machines.delete(name));
    machines.set(name, loading);
  }
  return machines.get(name);
}

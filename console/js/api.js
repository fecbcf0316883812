// Waybill's public API, with the key of the signed-in person. Errors arrive in the documented
// shape {"error": {"code", "message", "details"}} and are thrown as ApiError.

import { config } from "./config.js";
import { currentKey, signOut } from "./session.js";

export class ApiError extends Error {
  constructor(status, code, message, details = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== null && v !== undefined && v !== "") q.set(k, String(v));
  }
  const text = q.toString();
  return text ? `?${text}` : "";
}

/** One call; `key` overrides the session's (sign-in tries a key before keeping it). */
export async function call(method, path, { params, body, key, headers } = {}) {
  const bearer = key ?? currentKey();
  const response = await fetch(`${config().api}${path}${query(params)}`, {
    method,
    headers: {
      Accept: "application/json",
      ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}),
      ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
      ...(headers || {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
    cache: "no-store",
    credentials: "omit",
  });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = (data && data.error) || {};
    if (response.status === 401 && key === undefined) signOut("Your key was refused (401): sign in again.");
    throw new ApiError(response.status, error.code || "http_error", error.message || `HTTP ${response.status}`, error.details || []);
  }
  return data;
}

export const get = (path, params) => call("GET", path, { params });
export const post = (path, body, headers) => call("POST", path, { body, headers });

/** A short readable sentence for an error, with its field details. */
export function describe(error) {
  if (!(error instanceof ApiError)) return String(error && error.message ? error.message : error);
  const details = (error.details || []).map((d) => `${d.field}: ${d.issue}`).join("; ");
  return `${error.message} (${error.status} ${error.code})${details ? ` — ${details}` : ""}`;
}

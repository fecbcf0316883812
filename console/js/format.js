// How amounts, times and durations read in the console.

import { config } from "./config.js";

/** An amount in minor units as Stripe counts them (the decimals per currency come from the server's table). */
export function money(amount, currency) {
  if (amount === null || amount === undefined) return "";
  const code = String(currency || "").toUpperCase();
  const digits = config().decimals[code] ?? 2;
  return `${(Number(amount) / 10 ** digits).toFixed(digits)} ${code}`;
}

export function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$|Z$/, " UTC");
}

export function duration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours} h ${m % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

export function age(iso, now = Date.now()) {
  const d = new Date(iso).getTime();
  return Number.isNaN(d) ? "" : duration(Math.max(0, now - d));
}

export function today() {
  return new Date().toISOString().slice(0, 10);
}

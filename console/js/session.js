// The signed-in key lives in sessionStorage only: never in a URL, never in localStorage; it is gone
// when the tab closes or the person signs out.

const STORE = "waybill.session";

export function currentSession() {
  try {
    return JSON.parse(sessionStorage.getItem(STORE) || "null");
  } catch {
    return null;
  }
}

export function currentKey() {
  const session = currentSession();
  return session ? session.key : null;
}

export function keep(key, kind) {
  sessionStorage.setItem(STORE, JSON.stringify({ key, kind }));
}

export function signOut(message) {
  sessionStorage.removeItem(STORE);
  if (message) sessionStorage.setItem("waybill.notice", message);
  window.location.hash = "#/signin";
}

export function takeNotice() {
  const notice = sessionStorage.getItem("waybill.notice");
  sessionStorage.removeItem("waybill.notice");
  return notice;
}

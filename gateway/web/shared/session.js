// The caller's token: taken from the URL fragment (never sent to a server) or a form, kept in this
// tab's sessionStorage only, and forgotten on sign-out.

const KEY = "credit-gateway.token";

/** Move a `#token=…` fragment into sessionStorage and remove it from the address bar and history. */
export function takeTokenFromFragment() {
  const params = new URLSearchParams(window.location.hash.slice(1));
  const value = params.get("token");
  if (value === null) return false;
  history.replaceState(null, "", window.location.pathname + window.location.search);
  if (value.trim()) signIn(value);
  return true;
}

export function signIn(value) {
  sessionStorage.setItem(KEY, value.trim().replace(/^Bearer\s+/i, ""));
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}

export function currentToken() {
  return sessionStorage.getItem(KEY);
}

/** The token's claims, for display only (the gateway decides with its own verification). */
export function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const text = new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0)));
    return JSON.parse(text);
  } catch {
    return null;
  }
}

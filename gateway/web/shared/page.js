// What every page does around its content: the status line, the signed-in or signed-out view, and
// a refused token forgotten. A page names its main section once (`usePage("portal")`).

import { byId } from "/shared/dom.js";
import { ApiError } from "/shared/graphql.js";
import { currentLanguage, t, translate } from "/shared/i18n.js";
import { currentToken, signOut } from "/shared/session.js";

let mainId = null;

/** The id of the section shown only while signed in. */
export function usePage(id) {
  mainId = id;
}

export function say(text, isError = false) {
  const status = byId("status");
  status.textContent = text;
  status.className = isError ? "error" : "note";
}

/** A failed call, by its stable code; a 401 forgets the token (expired or refused): sign in again. */
export function failed(error) {
  const code = error instanceof ApiError ? error.code : "CLIENT_ERROR";
  say(t("failed", { code }), true);
  if (error instanceof ApiError && error.status === 401) {
    signOut();
    show();
  }
}

/** Texts in the current language, and the sign-in form or the page, whichever applies. */
export function show() {
  translate();
  byId("language").textContent = t("language");
  byId("language").lang = currentLanguage() === "zh-CN" ? "en" : "zh-CN";
  const signedIn = Boolean(currentToken());
  byId("sign-in").hidden = signedIn;
  byId(mainId).hidden = !signedIn;
  byId("sign-out").hidden = !signedIn;
}

/** The section's body, where its content goes. */
export function body(id) {
  return byId(id).querySelector(".body");
}

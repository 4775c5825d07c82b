// What every page does around its content: the status line, the signed-in or signed-out view, and
// a refused token forgotten. A page names its main section once (`usePage("portal")`).

import { byId, fill } from "/shared/dom.js";
import { ApiError } from "/shared/graphql.js";
import { currentLanguage, setLanguage, t, translate, useMessages } from "/shared/i18n.js";
import { currentToken, signIn, signOut, takeTokenFromFragment } from "/shared/session.js";

let mainId = null;

/**
 * Set up a page whose section `id` is shown only while signed in: its messages, the token from the
 * link, the sign-in form, sign-out (`forget` drops the page's own state; every section is emptied)
 * and the language switch (`redraw` draws again in the new language). `load` reads the page's data.
 */
export function startPage(id, { messages, load, forget, redraw }) {
  mainId = id;
  useMessages(messages);
  takeTokenFromFragment();
  byId("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const field = byId("token-input");
    signIn(field.value);
    field.value = "";
    show();
    load();
  });
  byId("sign-out").addEventListener("click", () => {
    signOut();
    forget();
    for (const section of document.querySelectorAll(`#${id} .body`)) fill(section);
    show();
    say(t("signedOut"));
    byId("token-input").focus();
  });
  byId("language").addEventListener("click", () => {
    setLanguage(currentLanguage() === "zh-CN" ? "en" : "zh-CN");
    show();
    redraw();
  });
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

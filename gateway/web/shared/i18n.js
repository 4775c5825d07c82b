// Chinese first, English on request; the choice (not a secret) is kept in localStorage.

const KEY = "credit-gateway.lang";
export const LANGUAGES = ["zh-CN", "en"];
let messages = {};
let language = LANGUAGES.includes(localStorage.getItem(KEY)) ? localStorage.getItem(KEY) : "zh-CN";

export function useMessages(table) {
  messages = table;
  document.documentElement.lang = language;
}

export function currentLanguage() {
  return language;
}

export function setLanguage(value) {
  language = LANGUAGES.includes(value) ? value : "zh-CN";
  localStorage.setItem(KEY, language);
  document.documentElement.lang = language;
}

/** The message `key` in the current language, `{name}` placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const entry = messages[key];
  const text = entry ? entry[language] ?? entry["zh-CN"] : key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/** An enum value's label (`Category.ADMINISTRATIVE_PENALTY`), or the value itself when unknown. */
export function label(kind, value) {
  if (value === null || value === undefined) return "—";
  const key = `${kind}.${value}`;
  return key in messages ? t(key) : String(value);
}

/** Fill every [data-i18n] element's text and [data-i18n-label] element's aria-label under `root`. */
export function translate(root = document) {
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll("[data-i18n-label]")) node.setAttribute("aria-label", t(node.dataset.i18nLabel));
  for (const node of root.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = t(node.dataset.i18nPlaceholder);
}

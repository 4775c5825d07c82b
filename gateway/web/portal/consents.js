// Consents: grant one, hand its token over (text, copy, QR code), and pause, resume or revoke.

import { el, facts, fill } from "/shared/dom.js";
import { label, t } from "/shared/i18n.js";
import { qrSvg } from "/shared/qr.js";

const PURPOSES = ["FINANCIAL_SERVICE", "ADMINISTRATIVE_LICENSING", "PUBLIC_PROCUREMENT", "EMPLOYMENT", "HOUSING_RENTAL", "COMMENDATION_REVIEW"];
const SCOPES = ["IDENTITY", "CONTACT", "RECORDS", "LISTS"];

function grantForm(onGrant) {
  const form = el(
    "form",
    { id: "grant-form" },
    el("h3", {}, t("grantTitle")),
    el(
      "div",
      { class: "form-grid" },
      el("div", {}, el("label", { for: "grant-grantee" }, t("grantee")),
        el("input", { id: "grant-grantee", name: "grantee", required: true, maxlength: 18, minlength: 18, autocomplete: "off", spellcheck: "false" })),
      el("div", {}, el("label", { for: "grant-purpose" }, t("purpose")),
        el("select", { id: "grant-purpose", name: "purpose" }, PURPOSES.map((p) => el("option", { value: p }, label("ConsentPurpose", p))))),
      el("div", {}, el("label", { for: "grant-days" }, t("expiryDays")),
        el("input", { id: "grant-days", name: "days", type: "number", min: 1, max: 365, value: 30, required: true })),
      el("div", {}, el("label", { for: "grant-uses" }, t("maxUses")),
        el("input", { id: "grant-uses", name: "uses", type: "number", min: 1, max: 1000, value: 1, required: true })),
    ),
    el(
      "fieldset",
      {},
      el("legend", {}, t("scopes")),
      SCOPES.map((s) => el("label", {}, el("input", { type: "checkbox", name: "scopes", value: s, checked: s !== "CONTACT" }), label("ConsentScope", s))),
    ),
    el("div", { class: "row" }, el("button", { type: "submit" }, t("grant"))),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    onGrant({
      grantee: String(data.get("grantee")).trim().toUpperCase(),
      purpose: String(data.get("purpose")),
      scopes: data.getAll("scopes").map(String),
      ttlSeconds: Number(data.get("days")) * 86400,
      maxUses: Number(data.get("uses")),
    });
  });
  return form;
}

function handOver(token) {
  const area = el("textarea", { id: "consent-token", readonly: true, spellcheck: "false" });
  area.value = token;
  const done = el("span", { class: "note", role: "status" });
  const copy = el("button", { type: "button", class: "secondary", id: "copy-token" }, t("copy"));
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(token);
    } catch {
      area.select(); // the person copies it by hand where the clipboard is not available
    }
    done.textContent = t("copied");
  });
  return el(
    "div",
    { class: "item", id: "granted" },
    el("p", {}, t("granted")),
    el("label", { for: "consent-token" }, t("consentToken")),
    area,
    el("div", { class: "row" }, copy, done),
    qrSvg(token, t("qrLabel")),
  );
}

function consentCard(consent, onAction) {
  const actions = [];
  if (consent.status === "ACTIVE") actions.push(["pause", t("pause"), "secondary"]);
  if (consent.status === "PAUSED") actions.push(["resume", t("resume"), "secondary"]);
  if (consent.status !== "REVOKED") actions.push(["revoke", t("revoke"), "danger"]);
  const grantee = consent.grantee;
  return el(
    "li",
    { class: "item", "data-consent": consent.id, "data-status": consent.status },
    el("h4", {}, `${grantee} · ${label("ConsentPurpose", consent.purpose)}`),
    facts([
      [t("status"), label("ConsentStatus", consent.status)],
      [t("scopes"), consent.scopes.map((s) => label("ConsentScope", s)).join("、")],
      [t("usesLeft"), `${Math.max(0, consent.maxUses - consent.uses)} / ${consent.maxUses}`],
      [t("createdAt"), consent.createdAt],
      [t("expiresAt"), consent.expiresAt],
      [t("consentId"), el("span", { class: "mono" }, consent.id)],
    ]),
    el(
      "div",
      { class: "row" },
      actions.map(([action, text, kind]) => {
        const button = el("button", { type: "button", class: kind, "data-action": action, "aria-label": `${text} ${grantee}` }, text);
        button.addEventListener("click", () => onAction(action, consent.id));
        return button;
      }),
    ),
  );
}

export function renderConsents(body, consents, lastToken, { onGrant, onAction }) {
  fill(
    body,
    grantForm(onGrant),
    lastToken ? handOver(lastToken) : null,
    el("h3", {}, t("myConsents")),
    consents.length ? el("ul", { class: "items", id: "consent-list" }, consents.map((c) => consentCard(c, onAction))) : el("p", { class: "note" }, t("none")),
  );
}

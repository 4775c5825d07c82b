// Who looked at me: the lookups, the counts, and each entry's proof checked here (shared/proofs.js).

import { el, facts, fill } from "/shared/dom.js";
import { label, t } from "/shared/i18n.js";
import { verifyEntry, verifyHead } from "/shared/proofs.js";

function count(text, value) {
  return el("div", {}, text, el("strong", {}, String(value)));
}

function proofBadge(result) {
  const kind = { verified: "good", failed: "bad", pending: "warn" }[result.status];
  const text =
    result.status === "verified" ? t("proofVerified") : result.status === "pending" ? t("proofPending") : t("proofFailed", { reason: result.reason });
  return el("span", { class: `badge ${kind}`, "data-proof": result.status }, text);
}

// A lookup without consent states a statutory purpose; one with consent the purpose consented to.
function purposeLabel(entry) {
  return entry.consentId || !entry.legalBases.length ? label("ConsentPurpose", entry.purpose) : label("StatutoryPurpose", entry.purpose);
}

/** A lookup made under a legal basis, without the person's consent (docs/privacy-model.md). */
function isLawful(entry) {
  return !entry.consentId && entry.legalBases.length > 0;
}

/** Each stated basis as its law, article and case or document number, every part as text. */
function legalBases(entry) {
  return el(
    "ul",
    { class: "bases" },
    entry.legalBases.map((b) =>
      el("li", { "data-basis": b.reference }, facts([[t("law"), b.law], [t("article"), b.article], [t("reference"), b.reference]])),
    ),
  );
}

export async function renderHistory(body, history, jwks, { onRefresh }) {
  const head = history.head;
  const headCheck = head ? await verifyHead(head, jwks) : null;
  const entries = [];
  for (const entry of history.entries) {
    // An entry is verified only against a head whose signature verified here.
    const result = headCheck?.ok ? await verifyEntry(entry, head) : entry.proofPending ? { status: "pending" } : { status: "failed", reason: headCheck?.reason || "NO_HEAD" };
    entries.push(
      el(
        "li",
        { class: "item", "data-seq": String(entry.seq), "data-consent": entry.consentId || "", "data-lawful": String(isLawful(entry)) },
        el("h4", {}, `${entry.organizationName || entry.organization || label("Role", entry.role)} · ${purposeLabel(entry)}`),
        isLawful(entry) ? el("p", {}, el("span", { class: "badge warn", "data-without-consent": "" }, t("withoutConsent"))) : null,
        facts([
          [t("time"), entry.time],
          [t("organization"), entry.organization],
          [t("role"), [label("Role", entry.role), label("AgencyKind", entry.agencyKind)].filter((v) => v !== "—").join(" / ")],
          [t("purpose"), purposeLabel(entry)],
          [t("consentId"), entry.consentId ? el("span", { class: "mono" }, entry.consentId) : null],
          [t("legalBasis"), entry.legalBases.length ? legalBases(entry) : null],
          [t("noticeDelayedUntil"), entry.noticeDelayedUntil],
          [t("fields"), entry.fieldGroups.map((g) => label("Group", g)).join("、")],
          [t("outcome"), label("Outcome", entry.outcome)],
          [t("proof"), proofBadge(result)],
        ]),
      ),
    );
  }
  const refresh = el("button", { type: "button", class: "secondary", id: "history-refresh" }, t("refresh"));
  refresh.addEventListener("click", onRefresh);
  const summary = history.summary;
  fill(
    body,
    el("p", { class: "note" }, t("historyHelp")),
    el(
      "div",
      { class: "counts" },
      count(t("lastMonth"), summary.lastMonth),
      count(t("lastTwoYears"), summary.lastTwoYears),
      count(t("orgsLastMonth"), summary.organizationsLastMonth),
      count(t("orgsLastTwoYears"), summary.organizationsLastTwoYears),
      count(t("ownReadsLastMonth"), summary.ownReadsLastMonth),
    ),
    el("h3", {}, t("head")),
    el(
      "p",
      { id: "head-status", "data-head": head ? (headCheck.ok ? "valid" : "invalid") : "none" },
      !head ? t("noHead") : headCheck.ok ? t("headValid", { kid: head.keyId, size: head.treeSize }) : t("headInvalid", { reason: headCheck.reason }),
    ),
    head ? facts([["root", el("span", { class: "mono" }, head.rootHash)], ["time", String(new Date(Number(head.timestamp)).toISOString())]]) : null,
    el("div", { class: "row" }, refresh),
    entries.length ? el("ul", { class: "items", id: "history-list" }, entries) : el("p", { class: "note" }, t("noLookups")),
  );
}

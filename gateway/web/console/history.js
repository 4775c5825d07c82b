// A record's history for the auditor: each version, who made it, when and why, what it changed.

import { el, fill } from "/shared/dom.js";
import { label, t } from "/shared/i18n.js";
import { chinaTime } from "./time.js";

const COLUMNS = ["version", "madeBy", "madeAt", "reason", "status", "changedFields", "contentHash"];

function cells(version) {
  return {
    version: [String(version.version), version.current ? el("span", { class: "badge good" }, ` ${t("current")}`) : null],
    // Versions made before the maker was kept say so, rather than showing nobody.
    madeBy: version.madeBy ? el("span", { class: "mono" }, version.madeBy) : t("makerUnknown"),
    madeAt: version.madeAt ? el("span", { title: version.madeAt }, chinaTime(version.madeAt)) : "—",
    reason: version.reason,
    status: label("RecordStatus", version.status),
    changedFields: version.changedFields.join(" ") || "—",
    contentHash: el("span", { class: "mono", title: version.contentHash, "aria-label": version.contentHash }, `${version.contentHash.slice(0, 12)}…`),
  };
}

/** `versions` as recordHistory answers them, oldest first; null when the store has no such record. */
export function renderRecordHistory(body, recordId, versions) {
  if (versions === null) {
    fill(body, el("p", { class: "note", id: "history-none" }, t("noRecord", { id: recordId })));
    return;
  }
  const head = el("tr", {}, COLUMNS.map((c) => el("th", { scope: "col" }, t(c))));
  const rows = versions.map((version) => {
    const values = cells(version);
    return el(
      "tr",
      { "data-version": String(version.version), "data-made-by": version.madeBy || "", "data-current": String(version.current) },
      COLUMNS.map((c) => el(c === "version" ? "th" : "td", { scope: c === "version" ? "row" : null }, values[c])),
    );
  });
  fill(
    body,
    el(
      "div",
      { class: "table-wrap", tabindex: "0", role: "region", "aria-labelledby": "history-caption" },
      el(
        "table",
        { class: "events", id: "history-table" },
        el("caption", { id: "history-caption" }, t("historyTable", { id: recordId })),
        el("thead", {}, head),
        el("tbody", {}, rows),
      ),
    ),
  );
}

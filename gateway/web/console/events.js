// The events table and the counts: every server value goes in as text.

import { el, fill } from "/shared/dom.js";
import { label, t } from "/shared/i18n.js";
import { barChart, tally } from "./charts.js";
import { chinaHour, chinaTime } from "./time.js";

const COLUMNS = ["seq", "time", "caller", "role", "organization", "rootFields", "outcome", "errors", "purpose", "consentId", "subjects", "fields"];

/** A long identifier, shortened on screen; the whole value stays in the title and for screen readers. */
function short(value) {
  if (!value) return "—";
  if (value.length <= 16) return el("span", { class: "mono" }, value);
  return el("span", { class: "mono", title: value, "aria-label": value }, `${value.slice(0, 14)}…`);
}

function cells(event, isFlagged) {
  return {
    seq: [String(event.seq), isFlagged ? el("span", { class: "visually-hidden" }, ` (${t("flagged")})`) : null],
    time: el("span", { title: event.time }, chinaTime(event.time)),
    caller: short(event.callerId),
    role: label("Role", event.role),
    organization: el("span", { class: "mono" }, event.organization || "—"),
    rootFields: [event.rootFields.join(" "), event.operationName ? ` (${event.operationName})` : ""].join(""),
    outcome: label("Outcome", event.outcome),
    errors: event.errorCodes.join(" ") || "—",
    purpose: event.purpose || "—",
    consentId: short(event.consentId),
    subjects: [...event.subjects, ...event.pseudonyms].map((value, i) => [i ? " " : null, short(value)]).flat().concat(event.subjects.length + event.pseudonyms.length ? [] : ["—"]),
    fields: `${event.fieldsWhole}/${event.fieldsMasked}/${event.fieldsDenied}`,
  };
}

export function renderEvents(body, nodes, flagged) {
  if (!nodes.length) {
    fill(body, el("p", { class: "note", id: "no-events" }, t("noEvents")));
    return;
  }
  const head = el("tr", {}, COLUMNS.map((c) => el("th", { scope: "col" }, t(c))));
  const rows = nodes.map((event) => {
    const isFlagged = flagged.has(String(event.seq));
    const values = cells(event, isFlagged);
    return el(
      "tr",
      { "data-seq": String(event.seq), "data-organization": event.organization || "", class: isFlagged ? "flagged" : null },
      COLUMNS.map((c) => el(c === "seq" ? "th" : "td", { scope: c === "seq" ? "row" : null, class: c === "seq" || c === "fields" ? "num" : null }, values[c])),
    );
  });
  fill(
    body,
    el(
      "div",
      { class: "table-wrap", tabindex: "0", role: "region", "aria-labelledby": "events-caption" },
      el("table", { class: "events", id: "events-table" }, el("caption", { id: "events-caption" }, t("eventsTable")), el("thead", {}, head), el("tbody", {}, rows)),
    ),
  );
}

export function renderCounts(body, stats, nodes) {
  const organizations = stats.organizations.map((o) => ({
    label: o.organization || t("noOrganization"),
    value: o.events,
    second: o.refusals,
  }));
  const outcomes = stats.outcomes.map((o) => ({ label: label("Outcome", o.outcome), value: o.events }));
  const purposes = tally(nodes.map((n) => n.purpose || t("noPurpose")));
  const hours = tally(nodes.map((n) => chinaHour(n.time))).sort((a, b) => a.label.localeCompare(b.label));
  fill(
    body,
    el("p", { id: "totals" }, t("totals", { events: stats.events, refusals: stats.refusals, persons: stats.distinctPersons })),
    el(
      "div",
      { class: "charts" },
      barChart("chart-organizations", t("byOrganization"), organizations),
      barChart("chart-outcomes", t("byOutcome"), outcomes),
      barChart("chart-purposes", t("byPurpose"), purposes),
      barChart("chart-hours", t("byHour"), hours),
    ),
  );
}

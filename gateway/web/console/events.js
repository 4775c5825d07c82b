// The events table and the counts: every server value goes in as text.

import { el, fill } from "/shared/dom.js";
import { label, t } from "/shared/i18n.js";
import { barChart } from "./charts.js";
import { chinaDay, chinaHour, chinaTime } from "./time.js";

const MAX_HOURS = 72; // more hours with events than this: the time chart counts per day
const COLUMNS = ["seq", "time", "kind", "caller", "role", "organization", "rootFields", "outcome", "errors", "purpose", "consentId", "subjects", "changed", "detail", "fields"];

/** A long identifier, shortened on screen; the whole value stays in the title and for screen readers. */
function short(value) {
  if (!value) return "—";
  if (value.length <= 16) return el("span", { class: "mono" }, value);
  return el("span", { class: "mono", title: value, "aria-label": value }, `${value.slice(0, 14)}…`);
}

/** A list of identifiers, each shortened, or "—". */
function ids(values) {
  if (!values.length) return "—";
  return values.map((value, i) => [i ? " " : null, short(value)]).flat();
}

/** A request is a request; a change event names its kind (docs/audit.md, "Change events"). */
function kind(event) {
  return event.eventClass === "CHANGE" ? label("ChangeKind", event.change) : label("EventClass", event.eventClass);
}

function cells(event, isFlagged) {
  return {
    seq: [String(event.seq), isFlagged ? el("span", { class: "visually-hidden" }, ` (${t("flagged")})`) : null],
    time: el("span", { title: event.time }, chinaTime(event.time)),
    kind: kind(event),
    caller: short(event.callerId),
    role: label("Role", event.role),
    organization: el("span", { class: "mono" }, event.organization || "—"),
    rootFields: [event.rootFields.join(" ") || "—", event.operationName ? ` (${event.operationName})` : ""].join(""),
    outcome: label("Outcome", event.outcome),
    errors: event.errorCodes.join(" ") || "—",
    purpose: event.purpose || "—",
    consentId: short(event.consentId),
    subjects: ids([...event.subjects, ...event.pseudonyms]),
    changed: ids(event.changedSubjects),
    detail: event.changeDetail ? el("code", { class: "detail" }, event.changeDetail) : "—",
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
      {
        "data-seq": String(event.seq),
        "data-organization": event.organization || "",
        "data-class": event.eventClass,
        "data-change": event.change || "",
        class: isFlagged ? "flagged" : null,
      },
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

/** Rows of counts ({events, refusals}) as chart rows. */
const rows = (counts, labelOf) => counts.map((c) => ({ label: labelOf(c), value: c.events, second: c.refusals }));

/**
 * The hours with events, as China-time hours; past MAX_HOURS of them, as China days instead (a day in
 * China is 24 whole UTC hours, so the days add up exactly), so a long range stays readable.
 */
function timeRows(hours) {
  if (hours.length <= MAX_HOURS) return { title: t("byHour"), rows: rows(hours, (h) => chinaHour(h.hour)) };
  const days = new Map();
  for (const h of hours) {
    const day = chinaDay(h.hour);
    const sum = days.get(day) || { events: 0, refusals: 0 };
    days.set(day, { events: sum.events + Number(h.events), refusals: sum.refusals + Number(h.refusals) });
  }
  return { title: t("byDay"), rows: [...days].map(([label, c]) => ({ label, value: c.events, second: c.refusals })) };
}

/** The counts of `auditStats` over the whole time range: every chart from the server's counts. */
export function renderCounts(body, stats) {
  const organizations = rows(stats.organizations, (o) => o.organization || t("noOrganization"));
  const outcomes = stats.outcomes.map((o) => ({ label: label("Outcome", o.outcome), value: o.events }));
  const purposes = rows(stats.purposes, (p) => p.purpose || t("noPurpose"));
  const time = timeRows(stats.hours);
  fill(
    body,
    el("p", { id: "totals", "data-events": String(stats.events) }, t("totals", { events: stats.events, refusals: stats.refusals, persons: stats.distinctPersons })),
    el(
      "div",
      { class: "charts" },
      barChart("chart-organizations", t("byOrganization"), organizations),
      barChart("chart-outcomes", t("byOutcome"), outcomes),
      barChart("chart-purposes", t("byPurpose"), purposes),
      barChart("chart-hours", time.title, time.rows),
    ),
  );
}

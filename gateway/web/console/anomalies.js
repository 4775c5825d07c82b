// Anomaly flags, each with a drill-down to its caller's events in its time window.

import { el, facts, fill } from "/shared/dom.js";
import { label, t } from "/shared/i18n.js";
import { chinaTime } from "./time.js";

/** The filter a flag drills down to: its caller (or organisation) within its window, `to` exclusive. */
export function flagFilter(flag) {
  const start = new Date(flag.from);
  const end = new Date(flag.to);
  // Event times carry microseconds; a window ending at its last event must include it (to is exclusive).
  const last = flag.kind === "PERSONS_PER_HOUR" ? end : new Date(end.getTime() + 1);
  const filter = { from: start.toISOString(), to: last.toISOString() };
  if (flag.callerId) filter.callerId = flag.callerId;
  else if (flag.organization) filter.organization = flag.organization;
  return filter;
}

export function renderAnomalies(body, flags, { onDrill }) {
  if (!flags.length) {
    fill(body, el("p", { class: "note", id: "no-anomalies" }, t("noAnomalies")));
    return;
  }
  const items = flags.map((flag, i) => {
    const drill = el("button", { type: "button", class: "secondary", "data-drill": String(i) }, t("drill"));
    drill.addEventListener("click", () => onDrill(flag));
    return el(
      "li",
      { class: "item", "data-kind": flag.kind, "data-caller": flag.callerId || "" },
      el("h3", {}, label("AnomalyKind", flag.kind)),
      facts([
        [t("caller"), flag.callerId ? el("span", { class: "mono" }, flag.callerId) : null],
        [t("organization"), flag.organization],
        [t("window"), `${chinaTime(flag.from)} – ${chinaTime(flag.to)}`],
        [t("count"), t("countOfThreshold", { count: flag.count, threshold: flag.threshold })],
        [t("seqs"), `${flag.seqs.join(" ")}${flag.seqsTruncated ? ` ${t("truncated")}` : ""}`],
        [t("detail"), flag.detail],
      ]),
      el("div", { class: "row" }, drill),
    );
  });
  fill(body, el("ul", { class: "flags", id: "anomaly-list" }, items));
}

// My objections and repair applications, and the state and deadline of each.

import { el, facts, fill } from "/shared/dom.js";
import { label, t } from "/shared/i18n.js";

export function renderObjections(body, objections, repairs) {
  const objectionItems = (objections || []).map((o) =>
    el(
      "li",
      { class: "item", "data-objection": o.id },
      el("h4", {}, `${o.record?.documentNumber ?? "—"} · ${label("ObjectionStatus", o.status)}`),
      facts([
        [t("reason"), o.reason],
        [t("filedAt"), o.filedAt],
        [t("dueOn"), o.overdue ? `${o.dueOn} (${t("overdue")})` : o.dueOn],
        [t("resolution"), o.resolution],
      ]),
    ),
  );
  const repairItems = (repairs || []).map((r) =>
    el(
      "li",
      { class: "item", "data-repair": r.id },
      el("h4", {}, `${r.record?.documentNumber ?? "—"} · ${label("RepairStatus", r.status)}`),
      facts([
        [t("filedAt"), r.filedAt],
        [t("resolution"), r.decisionReason],
      ]),
    ),
  );
  fill(
    body,
    el("h3", {}, t("myObjections")),
    objectionItems.length ? el("ul", { class: "items" }, objectionItems) : el("p", { class: "note" }, t("none")),
    el("h3", {}, t("myRepairs")),
    repairItems.length ? el("ul", { class: "items" }, repairItems) : el("p", { class: "note" }, t("none")),
  );
}

// What reaches the person for an organisation they answer for (落实到人): the organisation's black list
// entry or serious dishonesty, the role that makes it theirs, the reason, and the restrictions it brings.

import { el, facts, fill } from "/shared/dom.js";
import { label, t } from "/shared/i18n.js";

function held(reach) {
  if (!reach.roleSince && !reach.roleUntil) return t("heldUnknown");
  return `${reach.roleSince ?? "—"} – ${reach.roleUntil ?? t("heldNow")}`;
}

function restriction(item) {
  return el(
    "li",
    { "data-matter": item.matter, "data-code": item.code },
    el("strong", {}, label("CheckMatter", item.matter)),
    " ",
    item.description,
    el("div", { class: "note" }, t("source", { source: item.source })),
  );
}

function reachCard(reach) {
  const cause = reach.listEntry
    ? `${label("ListKind", reach.listEntry.kind)} · ${reach.listEntry.listName ?? "—"}`
    : reach.record
      ? `${label("Category", reach.record.category)} · ${reach.record.documentNumber ?? "—"}`
      : null;
  return el(
    "li",
    { class: "item", "data-basis": reach.basis, "data-role": reach.role, "data-organization": reach.organizationCode },
    el("h4", {}, `${label("ResponsibleRole", reach.role)} · `, el("span", { class: "mono" }, reach.organizationCode)),
    facts([
      [t("reachBasis"), el("span", { class: `badge ${reach.basis === "BLACK_LIST" ? "bad" : "warn"}` }, label("ReachBasis", reach.basis))],
      [t("reachCause"), cause],
      [t("roleHeld"), held(reach)],
      [t("reason"), el("span", { "data-reason": "" }, reach.reason)],
      [t("restrictions"), reach.restrictions.length ? el("ul", { class: "restrictions" }, reach.restrictions.map(restriction)) : t("noRestrictions")],
    ]),
  );
}

/** `me.responsibilities`; a field error (the policy withheld it) shows its code, as identity fields do. */
export function renderResponsibilities(body, reaches, error) {
  if (error) return fill(body, el("p", { class: "note" }, t("withheld", { code: error.extensions?.code || "ERROR" })));
  if (!reaches || reaches.length === 0) return fill(body, el("p", { class: "note" }, t("noResponsibilities")));
  return fill(body, el("p", { class: "note" }, t("responsibilitiesHelp")), el("ul", { class: "items", id: "responsibility-list" }, reaches.map(reachCard)));
}

// My identity, my records (own and linked), my list entries and my grade.

import { el, facts, fill } from "/shared/dom.js";
import { label, t } from "/shared/i18n.js";

/** The value of `me.<field>`, or why it is not shown (the field error's code). */
function shown(me, errors, field) {
  const error = errors.find((e) => Array.isArray(e.path) && e.path.join(".") === `me.${field}`);
  if (error) return t("withheld", { code: error.extensions?.code || "ERROR" });
  return me[field];
}

export function renderIdentity(body, me, errors) {
  const fields = ["name", "idNumber", "phone", "address", "healthStatus", "religion"];
  const list = facts(fields.map((f) => [t(f), shown(me, errors, f)]));
  for (const [i, f] of fields.entries()) list.querySelectorAll("dd")[i].dataset.field = f;
  fill(body, list);
}

function publication(record) {
  return record.publicationUntil ? t("publishedUntil", { date: record.publicationUntil }) : t("notPublished");
}

function recordCard(record, onObject) {
  const card = el(
    "li",
    { class: "item", "data-record": record.documentNumber || "" },
    el("h4", {}, `${label("Category", record.category)} · ${record.documentNumber ?? "—"}`),
    facts([
      [t("status"), el("span", { class: "badge", "data-status": record.status }, label("RecordStatus", record.status))],
      [t("authority"), record.authorityName],
      [t("decisionDate"), record.decisionDate],
      [t("severity"), label("Severity", record.severity)],
      [t("content"), record.content],
      [t("publication"), publication(record)],
      [t("displayUntil"), record.displayUntil ?? t("noEnd")],
      [t("repairableFrom"), record.repairableFrom],
    ]),
  );
  if (onObject && record.id && record.status === "ACTIVE") card.append(objectionForm(record, onObject));
  return card;
}

function objectionForm(record, onObject) {
  const id = `objection-${record.id}`;
  const form = el(
    "form",
    { id, hidden: true },
    el("label", { for: `${id}-reason` }, t("reason")),
    el("textarea", { id: `${id}-reason`, name: "reason", required: true }),
    el("label", { for: `${id}-evidence` }, t("evidence")),
    el("textarea", { id: `${id}-evidence`, name: "evidence", required: true }),
    el("div", { class: "row" }, el("button", { type: "submit" }, t("fileObjection"))),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    onObject(record.id, form.elements.reason.value, form.elements.evidence.value);
  });
  const open = el("button", { type: "button", class: "secondary", "aria-controls": id, "aria-expanded": "false" }, t("object"));
  open.addEventListener("click", () => {
    form.hidden = !form.hidden;
    open.setAttribute("aria-expanded", String(!form.hidden));
    if (!form.hidden) form.elements.reason.focus();
  });
  return el("div", {}, el("div", { class: "row" }, open), form);
}

function recordGroups(records) {
  const groups = new Map();
  for (const record of records) {
    if (!groups.has(record.category)) groups.set(record.category, []);
    groups.get(record.category).push(record);
  }
  return groups;
}

export function renderRecords(body, me, onObject) {
  const parts = [];
  for (const [title, records, object] of [
    [t("ownRecords"), me.records, onObject],
    [t("linkedRecords"), me.linkedRecords, null],
  ]) {
    parts.push(el("h3", {}, title));
    if (!records || records.length === 0) {
      parts.push(el("p", { class: "note" }, t("none")));
      continue;
    }
    for (const [category, items] of recordGroups(records)) {
      parts.push(el("h4", {}, `${label("Category", category)} (${items.length})`));
      parts.push(el("ul", { class: "items" }, items.map((r) => recordCard(r, object))));
    }
  }
  fill(body, parts);
}

export function renderLists(body, entries) {
  if (!entries || entries.length === 0) return fill(body, el("p", { class: "note" }, t("none")));
  return fill(
    body,
    el(
      "ul",
      { class: "items" },
      entries.map((entry) =>
        el(
          "li",
          { class: "item" },
          el("h3", {}, el("span", { class: `badge ${entry.kind === "RED" ? "good" : "bad"}` }, label("ListKind", entry.kind)), " ", entry.listName ?? "—"),
          facts([
            [t("status"), label("ListStatus", entry.status)],
            [t("reason"), entry.reason],
            [t("listedOn"), entry.listedOn],
            [t("plannedExit"), entry.plannedExit],
            [t("exitedOn"), entry.exitedOn],
          ]),
        ),
      ),
    ),
  );
}

export function renderGrade(body, evaluation) {
  if (!evaluation) return fill(body, el("p", { class: "note" }, t("none")));
  const contributions = evaluation.contributions.map((c) =>
    el(
      "li",
      { class: "item" },
      facts([
        [t("points"), c.points > 0 ? `+${c.points}` : String(c.points)],
        [t("rule"), c.rule],
        [t("record"), c.record ? `${label("Category", c.record.category)} · ${c.record.documentNumber ?? "—"}` : c.listEntry ? `${label("ListKind", c.listEntry.kind)} · ${c.listEntry.listName ?? "—"}` : null],
      ]),
    ),
  );
  return fill(
    body,
    el("p", {}, el("span", { class: "grade", id: "grade-value" }, evaluation.grade), " ", `${t("score")} ${evaluation.score}`),
    facts([
      [t("evaluatedOn"), evaluation.evaluatedOn],
      [t("startScore"), evaluation.startScore],
      [t("cappedBy"), evaluation.cappedBy],
    ]),
    el("h3", {}, t("contributions")),
    contributions.length ? el("ul", { class: "items" }, contributions) : el("p", { class: "note" }, t("none")),
  );
}

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

function recordCard(record, actions) {
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
  if (actions && record.id && record.status === "ACTIVE") {
    card.append(actionForm(record, OBJECTION, actions.object));
    if (repairableToday(record)) card.append(actionForm(record, REPAIR, actions.repair));
  }
  return card;
}

// The two things a person can file against their own record: each a button that opens a form with
// two texts. Whether the filing stands is the gateway's to decide (standing, periods, state).
const OBJECTION = { key: "objection", open: "object", submit: "fileObjection", fields: ["reason", "evidence"] };
const REPAIR = { key: "repair", open: "applyForRepair", submit: "fileRepair", fields: ["statement", "evidence"] };

/** Whether the minimum display period has passed, by today's date in China (UTC+8, no DST). */
function repairableToday(record) {
  const today = new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
  return Boolean(record.repairableFrom) && record.repairableFrom <= today;
}

function actionForm(record, kind, onSubmit) {
  const id = `${kind.key}-${record.id}`;
  const inputs = kind.fields.flatMap((name) => [
    el("label", { for: `${id}-${name}` }, t(name)),
    el("textarea", { id: `${id}-${name}`, name, required: true }),
  ]);
  const form = el("form", { id, hidden: true }, ...inputs, el("div", { class: "row" }, el("button", { type: "submit" }, t(kind.submit))));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    onSubmit(record.id, ...kind.fields.map((name) => form.elements[name].value));
  });
  const open = el("button", { type: "button", class: "secondary", "aria-controls": id, "aria-expanded": "false" }, t(kind.open));
  open.addEventListener("click", () => {
    form.hidden = !form.hidden;
    open.setAttribute("aria-expanded", String(!form.hidden));
    if (!form.hidden) form.elements[kind.fields[0]].focus();
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

export function renderRecords(body, me, actions) {
  const parts = [];
  for (const [title, records, object] of [
    [t("ownRecords"), me.records, actions],
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

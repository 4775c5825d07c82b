// My credit report (信用报告): the person chooses a purpose and the sections, the gateway signs a report
// of their own record (the same read as this page, docs/reports.md), and the page hands it over as a
// file to download: the signed text (JWS), which anyone checks offline or at /reports/verify/.

import { el, facts, fill } from "/shared/dom.js";
import { label, t } from "/shared/i18n.js";

const PURPOSES = ["EMPLOYMENT", "HOUSING_RENTAL", "FINANCIAL_SERVICE", "ADMINISTRATIVE_LICENSING", "PUBLIC_PROCUREMENT", "COMMENDATION_REVIEW"];
const SECTIONS = ["IDENTITY", "RECORDS", "LINKED_RECORDS", "LIST_ENTRIES"];

function reportForm(onIssue) {
  const form = el(
    "form",
    { id: "report-form" },
    el("p", { class: "note" }, t("reportHelp")),
    el(
      "div",
      { class: "form-grid" },
      el("div", {}, el("label", { for: "report-purpose" }, t("purpose")),
        el("select", { id: "report-purpose", name: "purpose" }, PURPOSES.map((p) => el("option", { value: p }, label("ConsentPurpose", p))))),
    ),
    el(
      "fieldset",
      {},
      el("legend", {}, t("reportSections")),
      SECTIONS.map((s) => el("label", {}, el("input", { type: "checkbox", name: "sections", value: s, checked: true }), label("ReportSection", s))),
    ),
    el("div", { class: "row" }, el("button", { type: "submit" }, t("issueReport"))),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    onIssue(String(data.get("purpose")), data.getAll("sections").map(String));
  });
  return form;
}

/** The issued report as a file: a link the person keeps or clicks again, named by its serial. */
function download(report) {
  const file = new Blob([report.jws + "\n"], { type: "application/jose" });
  const link = el("a", { id: "report-download", href: URL.createObjectURL(file), download: `credit-report-${report.serial}.jws` }, t("downloadReport"));
  return el(
    "div",
    { class: "item", id: "report-issued", "data-serial": report.serial },
    facts([
      [t("reportSerial"), el("span", { class: "mono" }, report.serial)],
      [t("reportValidUntil"), report.validUntil],
      [t("reportSections"), report.sections.map((s) => label("ReportSection", s)).join("、")],
      [t("reportNotDisclosed"), report.notDisclosed.length ? report.notDisclosed.map((s) => label("ReportSection", s)).join("、") : "—"],
    ]),
    el("div", { class: "row" }, link, " ", el("a", { href: "/reports/verify/" }, t("verifyReport"))),
  );
}

/** The report card: the form, and the last report issued in this tab (if any). */
export function renderReport(body, issued, onIssue) {
  fill(body, reportForm(onIssue), issued ? download(issued) : null);
  const link = body.querySelector("#report-download");
  if (link && issued?.fresh) {
    issued.fresh = false;
    link.click(); // the download starts at once; the link stays for another copy
  }
}

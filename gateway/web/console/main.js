// The auditor's console: sign in with an auditor token, then read the audit log through /graphql alone.

import { byId, el, fill } from "/shared/dom.js";
import { getJson, graphql } from "/shared/graphql.js";
import { t } from "/shared/i18n.js";
import { body, failed, say, show, startPage } from "/shared/page.js";
import { currentToken } from "/shared/session.js";
import { flagFilter, renderAnomalies } from "./anomalies.js";
import { renderCounts, renderEvents } from "./events.js";
import { buildExport } from "./export.js";
import { renderRecordHistory } from "./history.js";
import { MESSAGES } from "./messages.js";
import { ANOMALIES, CONSISTENCY, EVENTS, EXPORT, RECORD_HISTORY, STATS, TREE } from "./queries.js";
import { fromLocalInput, toLocalInput } from "./time.js";
import { checkTree, forgetHead, renderTree } from "./tree.js";

const FIELDS = ["callerId", "organization", "role", "subjectIdNumber", "outcome", "operation", "operationName", "errorCode", "eventClass", "change"];
const fresh = () => ({
  filter: {}, // the AuditEventFilter applied
  size: 50,
  cursors: [null], // `after` of each page seen so far: keyset paging backwards by keeping them
  nodes: [],
  hasNext: false,
  flagged: new Set(),
  stats: null,
  flags: null,
  tree: null,
  jwks: null,
  download: null,
  history: null, // {recordId, versions} of the record-history view
});
let state = fresh();

// --- the filter --------------------------------------------------------------------------------------

function readForm() {
  const filter = {};
  for (const name of FIELDS) {
    const value = byId(`f-${name}`).value.trim();
    if (value) filter[name] = value;
  }
  const from = fromLocalInput(byId("f-from").value);
  const to = fromLocalInput(byId("f-to").value);
  if (from) filter.from = from;
  if (to) filter.to = to;
  return filter;
}

function writeForm(filter) {
  for (const name of FIELDS) byId(`f-${name}`).value = filter[name] || "";
  byId("f-from").value = filter.from ? toLocalInput(filter.from) : "";
  byId("f-to").value = filter.to ? toLocalInput(filter.to) : "";
}

function range() {
  return { from: state.filter.from || null, to: state.filter.to || null };
}

// --- loading -----------------------------------------------------------------------------------------

async function loadTree() {
  const section = byId("tree");
  section.dataset.ready = "false";
  try {
    // One request for the head, so that what is checked is the head the gateway holds now.
    const { data } = await graphql(TREE);
    state.jwks = state.jwks || (await getJson("/keys/audit.jwks"));
    const fetchProof = async (first, second) => {
      const answer = await graphql(CONSISTENCY, { first: Number(first), second: Number(second) });
      return answer.data.auditConsistencyProof.path;
    };
    state.tree = { verification: data.auditVerification, checked: await checkTree(data.auditVerification, state.jwks, fetchProof) };
    drawTree();
  } catch (error) {
    failed(error);
  } finally {
    section.dataset.ready = "true";
  }
}

function drawTree() {
  if (state.tree) renderTree(body("tree"), state.tree.verification, state.tree.checked);
}

async function loadEvents() {
  const section = byId("events");
  section.dataset.ready = "false";
  try {
    const after = state.cursors[state.cursors.length - 1];
    const { data } = await graphql(EVENTS, { filter: state.filter, first: state.size, after });
    state.nodes = data.auditEvents.nodes;
    state.hasNext = data.auditEvents.pageInfo.hasNextPage;
    state.nextCursor = data.auditEvents.pageInfo.endCursor;
    drawEvents();
  } catch (error) {
    failed(error);
  } finally {
    section.dataset.ready = "true";
  }
}

function drawEvents() {
  renderEvents(body("events"), state.nodes, state.flagged);
  byId("page-label").textContent = t("pageN", { n: state.cursors.length, count: state.nodes.length });
  byId("page-previous").disabled = state.cursors.length <= 1;
  byId("page-next").disabled = !state.hasNext;
}

async function loadOverview() {
  const section = byId("counts");
  section.dataset.ready = "false";
  try {
    const [stats, flags] = await Promise.all([graphql(STATS, range()), graphql(ANOMALIES, range())]);
    state.stats = stats.data.auditStats;
    state.flags = flags.data.auditAnomalies;
    drawCounts();
    drawAnomalies();
  } catch (error) {
    failed(error);
  } finally {
    section.dataset.ready = "true";
  }
}

function drawCounts() {
  if (state.stats) renderCounts(body("counts"), state.stats);
}

function drawAnomalies() {
  if (state.flags) renderAnomalies(body("anomalies"), state.flags, { onDrill: drill });
}

function drawHistory() {
  if (state.history) renderRecordHistory(body("record-history"), state.history.recordId, state.history.versions);
}

async function loadHistory(recordId) {
  const section = byId("record-history");
  section.dataset.ready = "false";
  try {
    const { data } = await graphql(RECORD_HISTORY, { recordId });
    state.history = { recordId, versions: data.recordHistory };
    drawHistory();
  } catch (error) {
    failed(error);
  } finally {
    section.dataset.ready = "true";
  }
}

function drawAll() {
  drawTree();
  drawEvents();
  drawCounts();
  drawAnomalies();
  drawHistory();
}

async function load() {
  say(t("loading"));
  await loadTree();
  await Promise.all([loadEvents(), loadOverview()]);
  if (byId("status").className !== "error") say(t("loaded"));
  byId("console").dataset.ready = "true";
}

// --- actions -----------------------------------------------------------------------------------------

function apply(filter, { flagged = new Set(), note = null } = {}) {
  const rangeChanged = filter.from !== state.filter.from || filter.to !== state.filter.to;
  state.filter = filter;
  state.cursors = [null];
  state.flagged = flagged;
  const drillNote = byId("drill-note");
  drillNote.hidden = !note;
  drillNote.textContent = note || "";
  clearDownload();
  const jobs = [loadEvents()];
  if (rangeChanged) jobs.push(loadOverview());
  return Promise.all(jobs);
}

function drill(flag) {
  const filter = flagFilter(flag);
  writeForm(filter);
  const note = t("drilled", { caller: flag.callerId || flag.organization || "—", from: byId("f-from").value.replace("T", " "), to: byId("f-to").value.replace("T", " ") });
  byId("events").scrollIntoView();
  byId("events-title").focus?.();
  return apply(filter, { flagged: new Set(flag.seqs.map(String)), note });
}

function clearDownload() {
  if (state.download) URL.revokeObjectURL(state.download);
  state.download = null;
  fill(byId("export-link"));
  byId("export-progress").textContent = "";
}

async function exportEvents(format) {
  clearDownload();
  const button = byId("export-build");
  button.disabled = true;
  const filter = { ...state.filter };
  try {
    const fetchPage = async (after) => (await graphql(EXPORT, { filter, after })).data.auditEvents;
    const progress = (count) => {
      byId("export-progress").textContent = t("building", { count });
    };
    const { text, count } = await buildExport(format, fetchPage, progress);
    const type = format === "csv" ? "text/csv;charset=utf-8" : "application/x-ndjson;charset=utf-8";
    state.download = URL.createObjectURL(new Blob([text], { type }));
    const name = `audit-events.${format}`;
    const link = el("a", { href: state.download, download: name, id: "export-download", "data-count": String(count) }, t("download", { name, count }));
    fill(byId("export-link"), link);
    link.focus();
  } catch (error) {
    failed(error);
  } finally {
    button.disabled = false;
  }
}

function start() {
  startPage("console", {
    messages: MESSAGES,
    load,
    forget: () => {
      clearDownload();
      state = fresh();
      writeForm({});
    },
    redraw: () => {
      if (currentToken()) drawAll();
    },
  });
  byId("filter-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.size = Number(byId("f-size").value) || 50;
    apply(readForm());
  });
  byId("filter-clear").addEventListener("click", () => {
    writeForm({});
    apply({});
  });
  byId("page-next").addEventListener("click", () => {
    if (!state.hasNext) return;
    state.cursors.push(state.nextCursor);
    loadEvents();
  });
  byId("page-previous").addEventListener("click", () => {
    if (state.cursors.length <= 1) return;
    state.cursors.pop();
    loadEvents();
  });
  byId("tree-refresh").addEventListener("click", loadTree);
  byId("tree-forget").addEventListener("click", () => {
    forgetHead();
    say(t("forgotHead"));
    drawTree();
  });
  byId("history-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const recordId = byId("h-recordId").value.trim();
    if (recordId) loadHistory(recordId);
  });
  byId("export-form").addEventListener("submit", (event) => {
    event.preventDefault();
    exportEvents(new FormData(event.target).get("format"));
  });
  show();
  if (currentToken()) load();
}

start();

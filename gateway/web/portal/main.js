// The individual's portal: sign in with a token, then read and act through /graphql alone.

import { byId } from "/shared/dom.js";
import { getJson, graphql } from "/shared/graphql.js";
import { t } from "/shared/i18n.js";
import { body, failed, say, show, startPage } from "/shared/page.js";
import { currentToken } from "/shared/session.js";
import { renderConsents } from "./consents.js";
import { renderHistory } from "./history.js";
import { MESSAGES } from "./messages.js";
import { renderObjections } from "./objections.js";
import { APPLY_FOR_REPAIR, CONSENT_ACTION, FILE_OBJECTION, GRANT, HISTORY, ISSUE_REPORT, PORTAL } from "./queries.js";
import { renderGrade, renderIdentity, renderLists, renderRecords } from "./record.js";
import { renderReport } from "./report.js";
import { renderResponsibilities } from "./responsibilities.js";

const state = { portal: null, errors: [], history: null, jwks: null, lastToken: null, report: null };

// Each part redraws alone, so that a history arriving late never wipes a form being filled in.
function drawPortal() {
  const data = state.portal;
  if (!data) return;
  renderIdentity(body("identity"), data.me, state.errors);
  renderRecords(body("records"), data.me, { object: fileObjection, repair: applyForRepair });
  renderLists(body("lists"), data.me.listEntries);
  const withheld = state.errors.find((e) => Array.isArray(e.path) && e.path.join(".").startsWith("me.responsibilities"));
  renderResponsibilities(body("responsibilities"), data.me.responsibilities, withheld);
  renderGrade(body("grade"), data.myCreditEvaluation);
  renderConsents(body("consents"), data.consents || [], state.lastToken, { onGrant: grant, onAction: consentAction });
  renderObjections(body("objections"), data.objections, data.repairApplications);
  renderReport(body("report"), state.report, issueReport);
}

async function drawHistory() {
  if (state.history) await renderHistory(body("history"), state.history, state.jwks, { onRefresh: loadHistory });
}

async function loadPortal() {
  const { data, errors } = await graphql(PORTAL);
  state.portal = data;
  state.errors = errors;
}

async function loadHistory() {
  try {
    const [{ data }, jwks] = await Promise.all([graphql(HISTORY), getJson("/keys/audit.jwks")]);
    state.history = data.me.queryHistory;
    state.jwks = jwks;
    await drawHistory();
    byId("history").dataset.ready = "true";
  } catch (error) {
    failed(error);
  }
}

async function load() {
  say(t("loading"));
  try {
    await loadPortal();
    drawPortal();
    say(t("loaded"));
    byId("portal").dataset.ready = "true";
  } catch (error) {
    failed(error);
    return;
  }
  await loadHistory();
}

async function act(run) {
  try {
    await run();
    await loadPortal();
    drawPortal();
  } catch (error) {
    failed(error);
  }
}

function grant(input) {
  return act(async () => {
    const { data } = await graphql(GRANT, { input });
    state.lastToken = data.grantConsent.token;
    say(t("granted"));
  });
}

function consentAction(action, id) {
  if (action === "revoke" && !window.confirm(t("confirmRevoke"))) return undefined;
  return act(async () => {
    await graphql(CONSENT_ACTION[action], { id });
    say(t("loaded"));
  });
}

function fileObjection(recordId, reason, evidence) {
  return act(async () => {
    await graphql(FILE_OBJECTION, { input: { recordId, reason, evidence } });
    say(t("objectionFiled"));
  });
}

function applyForRepair(recordId, statement, evidence) {
  return act(async () => {
    await graphql(APPLY_FOR_REPAIR, { input: { recordId, statement, evidence } });
    say(t("repairFiled"));
  });
}

function issueReport(purpose, sections) {
  return act(async () => {
    const { data } = await graphql(ISSUE_REPORT, { purpose, sections });
    state.report = { ...data.report, fresh: true };
    say(t("reportIssued", { serial: data.report.serial }));
  });
}

function start() {
  startPage("portal", {
    messages: MESSAGES,
    load,
    forget: () => Object.assign(state, { portal: null, errors: [], history: null, jwks: null, lastToken: null, report: null }),
    redraw: async () => {
      drawPortal();
      await drawHistory();
    },
  });
  show();
  if (currentToken()) load();
}

start();

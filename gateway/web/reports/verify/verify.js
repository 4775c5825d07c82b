// /reports/verify: a credit report checked in the browser, as docs/reports.md says a verifier does:
// header, key from /keys/reports.jwks, Ed25519 over the signing input as received (WebCrypto), then
// the payload, then the validity; its status (valid, superseded, …) asked of the gateway after.

import { el } from "/shared/dom.js";
import { getJson, graphql } from "/shared/graphql.js";

const SECTIONS = {
  PERSON: ["IDENTITY", "RECORDS", "LINKED_RECORDS", "LIST_ENTRIES"],
  ORGANIZATION: ["IDENTITY", "RECORDS", "LIST_ENTRIES", "LEGAL_REPRESENTATIVE"],
  GOVERNMENT_AGENCY: ["IDENTITY", "RECORDS", "LIST_ENTRIES", "LEGAL_REPRESENTATIVE"],
};
const STATUS = `query($serial: String!, $sha: String) {
  reportStatus(serial: $serial, payloadSha256: $sha) { state changedSinceIssue } }`;

class ReportError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

function bytes(part) {
  if (!/^[A-Za-z0-9_-]*$/.test(part) || part.length % 4 === 1) throw new ReportError("REPORT_MALFORMED", "not base64url");
  const text = atob(part.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (part.length % 4)) % 4));
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function object(raw, what) {
  let value;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw));
  } catch {
    throw new ReportError("REPORT_MALFORMED", `the ${what} is not UTF-8 JSON`);
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) throw new ReportError("REPORT_MALFORMED", `the ${what} is not an object`);
  return value;
}

async function verify(token) {
  const parts = token.trim().split(".");
  if (parts.length !== 3) throw new ReportError("REPORT_MALFORMED", "not a compact JWS");
  const header = object(bytes(parts[0]), "header");
  const payload = bytes(parts[1]);
  const signature = bytes(parts[2]);
  const members = Object.keys(header).sort().join(",");
  if (members !== "alg,kid,typ" || header.alg !== "Ed25519" || header.typ !== "credit-report+jws") {
    throw new ReportError("REPORT_MALFORMED", "unexpected protected header");
  }
  const jwks = await getJson("/keys/reports.jwks");
  const jwk = (jwks.keys || []).find((k) => k.kid === header.kid && k.kty === "OKP" && k.crv === "Ed25519");
  if (!jwk) throw new ReportError("REPORT_KEY_UNKNOWN", `no key ${header.kid} in /keys/reports.jwks`);
  const key = await crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: jwk.x }, { name: "Ed25519" }, false, ["verify"]);
  const signed = new TextEncoder().encode(`${parts[0]}.${parts[1]}`);
  if (!(await crypto.subtle.verify({ name: "Ed25519" }, key, signature, signed))) {
    throw new ReportError("REPORT_SIGNATURE_INVALID", "the signature does not verify");
  }
  const doc = object(payload, "payload");
  const kind = doc.subject?.kind;
  if (doc.typ !== "credit-report" || doc.v !== 1 || !SECTIONS[kind] || !Number.isInteger(doc.exp) || typeof doc.sections !== "object" || !Array.isArray(doc.not_disclosed)) {
    throw new ReportError("REPORT_MALFORMED", "not a credit report document");
  }
  if (doc.exp * 1000 <= Date.now()) throw new ReportError("REPORT_EXPIRED", `report ${doc.serial} has expired`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", payload));
  return { doc, kid: header.kid, sha: Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("") };
}

function show({ doc, kid }, status) {
  const when = (s) => new Date(s * 1000).toISOString();
  const requester = doc.requester?.self ? "本人 the subject itself" : `${doc.requester?.role} ${doc.requester?.organization}`;
  const facts = [
    ["编号 Serial", doc.serial], ["签名密钥 Key", kid], ["出具 Issued", when(doc.iat)], ["有效期至 Valid until", when(doc.exp)],
    ["用途 Purpose", doc.purpose], ["查询方 Requester", requester], ["主体 Subject", `${doc.subject.kind} ${doc.subject.id}`],
    ["状态 Status", status],
  ];
  document.getElementById("facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  const states = SECTIONS[doc.subject.kind].map((s) => {
    const state = s in doc.sections ? "disclosed 已披露" : doc.not_disclosed.includes(s) ? "not disclosed 未披露" : "withheld by policy 依规不予显示";
    return el("li", { "data-section": s }, `${s}: ${state}`);
  });
  document.getElementById("sections").replaceChildren(...states);
}

document.getElementById("verify-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const verdict = document.getElementById("verdict");
  delete verdict.dataset.state;
  verdict.textContent = "";
  document.getElementById("facts").replaceChildren();
  document.getElementById("sections").replaceChildren();
  try {
    const report = await verify(document.getElementById("report-input").value);
    let status = "unknown";
    try {
      const { data } = await graphql(STATUS, { serial: report.doc.serial, sha: report.sha });
      status = data.reportStatus.state;
    } catch {
      status = "not reachable 无法查询";
    }
    verdict.textContent = status === "SUPERSEDED"
      ? `签名有效，但报告已被更正取代 The signature verifies, but the report is SUPERSEDED`
      : `签名有效 The report verifies (${status})`;
    verdict.dataset.state = status;
    show(report, status);
  } catch (error) {
    const code = error instanceof ReportError ? error.code : "REPORT_MALFORMED";
    verdict.textContent = `核验失败 Not verified: ${code}`;
    verdict.dataset.state = code;
  }
});

// The GraphQL-over-HTTP conformance audit of graphql-http (`auditServer`) against a running gateway.
//
//   node audit.mjs http://127.0.0.1:8000/graphql
//
// Prints one line per audit that did not pass (MUST failures are "error", SHOULD failures "warn",
// MAY failures "notice"), then a summary line and the same counts as JSON on the last line.
// Exits 1 on any MUST failure or SHOULD warning, 2 when the audit could not run at all.
import { auditServer } from "graphql-http";

const url = process.argv[2];
if (!url) {
  console.error("usage: node audit.mjs <graphql endpoint URL>");
  process.exit(2);
}

let results;
try {
  results = await auditServer({ url });
} catch (error) {
  console.error(`the audit could not run: ${error}`);
  process.exit(2);
}

const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
const failed = [];
for (const result of results) {
  counts[result.status] += 1;
  if (result.status !== "ok") {
    const status = result.response ? result.response.status : "-";
    console.log(`${result.status.padEnd(6)} ${result.id} ${result.name}: ${result.reason} (HTTP ${status})`);
    failed.push({ id: result.id, status: result.status, name: result.name, reason: result.reason });
  }
}
console.log(
  `${results.length} audits: ${counts.ok} ok, ${counts.error} MUST failures, ${counts.warn} SHOULD warnings, ` +
    `${counts.notice} MAY notices`,
);
console.log(JSON.stringify({ audits: results.length, ...counts, failed }));
process.exit(counts.error + counts.warn > 0 ? 1 : 0);

// The export, made in this browser from auditEvents pages, in the format of `credit-gateway audit
// export` (gateway/audit/export.py): JSON Lines of each event's canonical bytes, or CSV of the same
// columns, written as Python's csv module writes them (minimal quoting, "\n" line ends).

export const CSV_COLUMNS = [
  "seq", "time", "request", "caller_id", "role", "organization", "operation_name", "operation_type",
  "root_fields", "outcome", "errors", "http_status", "consent_id", "purpose", "subjects", "pseudonyms",
  "fields_whole", "fields_masked", "fields_denied", "duration_us", "document_sha256", "client", "leaf_hash",
];

function fieldCount(doc, effect) {
  const counts = (doc.fields || {})[effect] || {};
  return Object.values(counts).reduce((sum, n) => sum + Number(n), 0);
}

/** The CSV row of one event, from its canonical bytes and leaf hash (export.csv_row). */
export function csvRow(body, leafHash) {
  const doc = JSON.parse(body);
  const join = (list) => (list || []).join(" ");
  const derived = {
    root_fields: join(doc.root_fields),
    errors: join(doc.errors),
    subjects: join(doc.subjects),
    pseudonyms: join(doc.pseudonyms),
    fields_whole: fieldCount(doc, "whole"),
    fields_masked: fieldCount(doc, "masked"),
    fields_denied: fieldCount(doc, "denied"),
    leaf_hash: leafHash,
  };
  return CSV_COLUMNS.map((c) => {
    const value = c in derived ? derived[c] : doc[c];
    return value === null || value === undefined ? "" : String(value);
  });
}

function csvField(value) {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvLine(fields) {
  if (fields.length === 1 && fields[0] === "") return '""\n';
  return `${fields.map(csvField).join(",")}\n`;
}

/**
 * Every event `filter` selects, oldest first, a page of 500 at a time, as one file's text.
 * `fetchPage(after)` answers auditEvents; `progress(count)` is told as pages arrive.
 */
export async function buildExport(format, fetchPage, progress) {
  const parts = format === "csv" ? [csvLine(CSV_COLUMNS)] : [];
  let after = null;
  let count = 0;
  for (;;) {
    const page = await fetchPage(after);
    for (const node of page.nodes) {
      parts.push(format === "csv" ? csvLine(csvRow(node.body, node.leafHash)) : `${node.body}\n`);
    }
    count += page.nodes.length;
    progress(count);
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  return { text: parts.join(""), count };
}

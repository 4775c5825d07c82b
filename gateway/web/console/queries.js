// The console's GraphQL documents: the auditor API of docs/audit.md, "For auditors".

const EVENT = `seq time requestId eventClass change changedSubjects changeDetail callerId role organization operationName operationType rootFields outcome
  errorCodes httpStatus consentId purpose subjects pseudonyms fieldGroups fieldsWhole fieldsMasked fieldsDenied`;

export const EVENTS = `query Events($filter: AuditEventFilter, $first: Int!, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    nodes { ${EVENT} }
    pageInfo { endCursor hasNextPage }
  }
}`;

// The export needs each event's canonical bytes, exactly as `credit-gateway audit export` writes them.
export const EXPORT = `query Export($filter: AuditEventFilter, $after: String) {
  auditEvents(filter: $filter, first: 500, after: $after) {
    nodes { seq body leafHash }
    pageInfo { endCursor hasNextPage }
  }
}`;

export const STATS = `query Stats($from: DateTime, $to: DateTime) {
  auditStats(from: $from, to: $to) {
    events refusals distinctPersons
    outcomes { outcome events }
    organizations { organization events refusals distinctPersons }
    purposes { purpose events refusals }
    hours { hour events refusals }
  }
}`;

export const ANOMALIES = `query Anomalies($from: DateTime, $to: DateTime) {
  auditAnomalies(from: $from, to: $to) {
    kind callerId organization from to count threshold seqs seqsTruncated detail
  }
}`;

export const TREE = `query Tree {
  auditVerification {
    treeSize headSignatureValid headMatchesTree
    latestHead { treeSize rootHash timestamp keyId signature }
  }
}`;

export const CONSISTENCY = `query Consistency($first: Long!, $second: Long) {
  auditConsistencyProof(first: $first, second: $second) { first second path }
}`;

// A record's versions and who made each (docs/audit.md, "For auditors"); null: no such record.
export const RECORD_HISTORY = `query RecordHistory($recordId: ID!) {
  recordHistory(recordId: $recordId) { version madeBy madeAt reason status contentHash changedFields current }
}`;

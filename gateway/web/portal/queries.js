// The portal's GraphQL documents: the same API and policies as every other client.

const RECORD = "id category documentNumber authorityName decisionDate content severity status publicationUntil displayUntil repairableFrom";

export const PORTAL = `query Portal {
  me {
    id name idNumber phone address healthStatus religion
    records { ${RECORD} }
    linkedRecords { ${RECORD} }
    listEntries { id kind listName authorityCode reason listedOn plannedExit status exitedOn }
    responsibilities { role organizationCode roleSince roleUntil basis reason
                       listEntry { kind listName } record { category documentNumber }
                       restrictions { matter code description source } }
  }
  myCreditEvaluation {
    evaluatedOn startScore score grade cappedBy
    contributions { points rule record { documentNumber category } listEntry { kind listName } }
  }
  consents { id grantee purpose scopes status createdAt expiresAt maxUses uses }
  objections { id status reason filedAt dueOn overdue resolution record { documentNumber } }
  repairApplications { id status filedAt decisionReason record { documentNumber } }
}`;

export const HISTORY = `query History($after: String) {
  me { queryHistory(first: 20, after: $after) {
    hasMore endCursor
    head { treeSize rootHash timestamp keyId signature }
    entries { seq time role agencyKind organization organizationName purpose consentId fieldGroups outcome
              legalBases { law article reference } noticeDelayedUntil ownRead leafHash proofPending event proof { leafIndex treeSize leafHash path } }
    summary { lastMonth lastTwoYears organizationsLastMonth organizationsLastTwoYears ownReadsLastMonth }
  } }
}`;

export const GRANT = `mutation Grant($input: GrantConsentInput!) {
  grantConsent(input: $input) { token consent { id } }
}`;

export const CONSENT_ACTION = {
  pause: "mutation Pause($id: ID!) { pauseConsent(id: $id) { id status } }",
  resume: "mutation Resume($id: ID!) { resumeConsent(id: $id) { id status } }",
  revoke: "mutation Revoke($id: ID!) { revokeConsent(id: $id) { id status } }",
};

export const FILE_OBJECTION = `mutation Object($input: FileObjectionInput!) {
  fileObjection(input: $input) { id status }
}`;

export const APPLY_FOR_REPAIR = `mutation Repair($input: ApplyForRepairInput!) {
  applyForRepair(input: $input) { id status }
}`;

export const ISSUE_REPORT = `query Report($purpose: ConsentPurpose!, $sections: [ReportSection!]) {
  report(purpose: $purpose, sections: $sections) { serial issuedAt validUntil purpose sections notDisclosed jws }
}`;

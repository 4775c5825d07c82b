"""GraphQL types of the auditor API. They carry no identity value: events hold pseudonyms and
subject ids only (docs/audit.md, "Identity values"), so the operations' role checks are the guard,
not the field policy."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any, NewType

import strawberry

from gateway.audit.anomalies import AnomalyKind, Flag
from gateway.audit.events import Outcome
from gateway.audit.findings import Report
from gateway.audit.heads import TreeHead
from gateway.audit.proofs import ConsistencyProof, InclusionProof, Status
from gateway.audit.queries import CallerCount, EventView, OrganizationCount, Stats


def _long(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("Long is a whole number")
    return value


# Sequence numbers and counts outgrow GraphQL's 32-bit Int in a busy log's lifetime. Registered in
# the schema's scalar_map (gateway/api/schema.py).
Long = NewType("Long", int)
LONG_SCALAR = strawberry.scalar(
    name="Long",
    serialize=int,
    parse_value=_long,
    description="A whole number of up to 64 bits (sequence numbers, tree sizes, counts).",
)

strawberry.enum(Outcome, name="AuditOutcome")
strawberry.enum(AnomalyKind)


@strawberry.input(description="Which events; every criterion given must hold.")
class AuditEventFilter:
    caller_id: str | None = None
    organization: str | None = strawberry.field(default=None, description="The caller's organisation.")
    role: str | None = None
    subject_id_number: str | None = strawberry.field(
        default=None,
        description="Events about this person: the number becomes its pseudonym and is never kept.",
    )
    outcome: Outcome | None = None
    operation: str | None = strawberry.field(
        default=None, description="A root field of the operation: person, organization, creditCheck, …"
    )
    operation_name: str | None = None
    error_code: str | None = None
    start: datetime | None = strawberry.field(default=None, name="from", description="Inclusive.")
    end: datetime | None = strawberry.field(default=None, name="to", description="Exclusive.")


@strawberry.type(description='A signed tree head (docs/audit.md, "Signed tree heads").')
class AuditSignedHead:
    head: strawberry.Private[TreeHead]

    @strawberry.field
    def tree_size(self) -> Long:
        return self.head.tree_size

    @strawberry.field(description="SHA-256 root hash, hex.")
    def root_hash(self) -> str:
        return self.head.root_hash.hex()

    @strawberry.field(description="Milliseconds since the Unix epoch, as signed.")
    def timestamp(self) -> Long:
        return self.head.timestamp_ms

    @strawberry.field
    def time(self) -> datetime:
        return self.head.time

    @strawberry.field
    def key_id(self) -> str:
        return self.head.key_id

    @strawberry.field(description="Ed25519 signature over the 50-byte TreeHeadSignature, base64.")
    def signature(self) -> str:
        return base64.b64encode(self.head.signature).decode("ascii")


def signed_head(head: TreeHead | None) -> AuditSignedHead | None:
    return None if head is None else AuditSignedHead(head=head)


@strawberry.type(description="One audit event; `body` is its canonical bytes, the leaf of the tree.")
class AuditEvent:
    event: strawberry.Private[EventView]

    def _doc(self, key: str) -> Any:
        return self.event.document.get(key)

    @strawberry.field
    def seq(self) -> Long:
        return self.event.seq

    @strawberry.field
    def time(self) -> datetime:
        return self.event.time

    @strawberry.field
    def request_id(self) -> str:
        return str(self._doc("request"))

    @strawberry.field
    def caller_id(self) -> str | None:
        return self._doc("caller_id")

    @strawberry.field
    def role(self) -> str | None:
        return self._doc("role")

    @strawberry.field
    def organization(self) -> str | None:
        return self._doc("organization")

    @strawberry.field
    def operation_name(self) -> str | None:
        return self._doc("operation_name")

    @strawberry.field
    def operation_type(self) -> str | None:
        return self._doc("operation_type")

    @strawberry.field
    def root_fields(self) -> list[str]:
        return list(self._doc("root_fields") or [])

    @strawberry.field
    def outcome(self) -> Outcome:
        return Outcome(self._doc("outcome"))

    @strawberry.field
    def error_codes(self) -> list[str]:
        return list(self._doc("errors") or [])

    @strawberry.field
    def http_status(self) -> int:
        return int(self._doc("http_status"))

    @strawberry.field
    def consent_id(self) -> str | None:
        return self._doc("consent_id")

    @strawberry.field
    def purpose(self) -> str | None:
        return self._doc("purpose")

    @strawberry.field(description="Subject ids (pseudonymous store references) whose data was returned.")
    def subjects(self) -> list[str]:
        return list(self._doc("subjects") or [])

    @strawberry.field(description="Pseudonyms of identity values the request named (idn:, tel:, ucc:, tok:).")
    def pseudonyms(self) -> list[str]:
        return list(self._doc("pseudonyms") or [])

    @strawberry.field(description="Groups of a person's record read whole or masked.")
    def field_groups(self) -> list[str]:
        return self.event.field_groups()

    @strawberry.field
    def fields_whole(self) -> int:
        return self.event.field_counts("whole")

    @strawberry.field
    def fields_masked(self) -> int:
        return self.event.field_counts("masked")

    @strawberry.field
    def fields_denied(self) -> int:
        return self.event.field_counts("denied")

    @strawberry.field
    def duration_us(self) -> Long:
        return int(self._doc("duration_us") or 0)

    @strawberry.field
    def document_sha256(self) -> str | None:
        return self._doc("document_sha256")

    @strawberry.field
    def client_address(self) -> str | None:
        return self._doc("client")

    @strawberry.field(description="The canonical event bytes (UTF-8 JSON) the leaf hash is taken over.")
    def body(self) -> str:
        return self.event.body.decode("utf-8")

    @strawberry.field(description="SHA-256(0x00 || body), hex.")
    def leaf_hash(self) -> str:
        return self.event.leaf_hash.hex()


@strawberry.type
class AuditPageInfo:
    end_cursor: str | None
    has_next_page: bool


@strawberry.type
class AuditEventConnection:
    nodes: list[AuditEvent]
    page_info: AuditPageInfo


@strawberry.type
class AuditOutcomeCount:
    outcome: Outcome
    events: Long


@strawberry.type
class AuditCallerStats:
    caller_id: str | None
    role: str | None
    organization: str | None
    events: Long
    refusals: Long
    distinct_persons: Long

    @classmethod
    def of(cls, c: CallerCount) -> AuditCallerStats:
        return cls(caller_id=c.caller_id, role=c.role, organization=c.organization, events=c.events,
                   refusals=c.refusals, distinct_persons=c.persons)  # fmt: skip


@strawberry.type
class AuditOrganizationStats:
    organization: str | None
    events: Long
    refusals: Long
    distinct_persons: Long

    @classmethod
    def of(cls, o: OrganizationCount) -> AuditOrganizationStats:
        return cls(
            organization=o.organization, events=o.events, refusals=o.refusals, distinct_persons=o.persons
        )


@strawberry.type(description="Counts over the events of a time range.")
class AuditStats:
    events: Long
    refusals: Long
    distinct_persons: Long = strawberry.field(
        description="Distinct identity numbers (by pseudonym) named in requests."
    )
    outcomes: list[AuditOutcomeCount]
    callers: list[AuditCallerStats]
    organizations: list[AuditOrganizationStats]

    @classmethod
    def of(cls, s: Stats) -> AuditStats:
        return cls(
            events=s.events,
            refusals=s.refusals,
            distinct_persons=s.persons,
            outcomes=[AuditOutcomeCount(outcome=Outcome(o), events=n) for o, n in sorted(s.outcomes.items())],
            callers=[AuditCallerStats.of(c) for c in s.callers],
            organizations=[AuditOrganizationStats.of(o) for o in s.organizations],
        )


@strawberry.type(description="A full recomputation of the log (credit-gateway audit verify).")
class AuditLogCheck:
    ok: bool
    events_checked: Long
    heads_checked: int
    first_bad_index: Long | None
    problem: str | None
    message: str | None

    @classmethod
    def of(cls, r: Report) -> AuditLogCheck:
        f = r.finding
        return cls(ok=r.ok, events_checked=r.events, heads_checked=r.heads,
                   first_bad_index=f.index if f else None, problem=f.problem.value if f else None,
                   message=f.message if f else None)  # fmt: skip


@strawberry.type
class AuditVerification:
    tree_size: Long
    latest_head: AuditSignedHead | None
    head_signature_valid: bool | None = strawberry.field(description="Null when no head was signed yet.")
    head_matches_tree: bool | None = strawberry.field(
        description="The head's root is the stored tree's root at its size; null when not checkable."
    )
    full_check: AuditLogCheck | None = strawberry.field(description="Only with full: true.")

    @classmethod
    def of(cls, s: Status) -> AuditVerification:
        return cls(tree_size=s.tree_size, latest_head=signed_head(s.head),
                   head_signature_valid=s.head_signature_valid, head_matches_tree=s.head_matches_tree,
                   full_check=AuditLogCheck.of(s.report) if s.report is not None else None)  # fmt: skip


def _hex(path: list[bytes]) -> list[str]:
    return [p.hex() for p in path]


@strawberry.type(description="RFC 9162 inclusion proof PATH(seq, D[treeSize]).")
class AuditInclusionProof:
    seq: Long
    tree_size: Long
    event: str = strawberry.field(description="The event's canonical bytes.")
    leaf_hash: str
    path: list[str]
    root_hash: str
    head: AuditSignedHead | None = strawberry.field(description="A head signed for treeSize, if any.")

    @classmethod
    def of(cls, p: InclusionProof) -> AuditInclusionProof:
        return cls(seq=p.seq, tree_size=p.tree_size, event=p.body.decode("utf-8"), leaf_hash=p.leaf_hash.hex(),
                   path=_hex(p.path), root_hash=p.root_hash.hex(), head=signed_head(p.head))  # fmt: skip


@strawberry.type(description="RFC 9162 consistency proof PROOF(first, D[second]).")
class AuditConsistencyProof:
    first: Long
    second: Long
    first_root_hash: str
    second_root_hash: str
    path: list[str]
    first_head: AuditSignedHead | None
    second_head: AuditSignedHead | None

    @classmethod
    def of(cls, p: ConsistencyProof) -> AuditConsistencyProof:
        return cls(first=p.first, second=p.second, first_root_hash=p.first_root.hex(),
                   second_root_hash=p.second_root.hex(), path=_hex(p.path),
                   first_head=signed_head(p.first_head), second_head=signed_head(p.second_head))  # fmt: skip


@strawberry.type(description="An anomaly flag: who, when, how many, and which events.")
class AuditAnomaly:
    kind: AnomalyKind
    caller_id: str | None
    organization: str | None
    start: datetime = strawberry.field(name="from")
    end: datetime = strawberry.field(name="to")
    count: int
    threshold: int
    seqs: list[Long]
    seqs_truncated: bool
    detail: str

    @classmethod
    def of(cls, f: Flag) -> AuditAnomaly:
        return cls(kind=f.kind, caller_id=f.caller_id, organization=f.organization, start=f.start, end=f.end,
                   count=f.count, threshold=f.threshold, seqs=list(f.seqs), seqs_truncated=f.truncated,
                   detail=f.detail)  # fmt: skip

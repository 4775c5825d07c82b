"""GraphQL types of the auditor API. They carry no identity value: events hold pseudonyms and
subject ids only (docs/audit.md, "Identity values"), so the operations' role checks are the guard,
not the field policy."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, NewType

import strawberry
from graphql import IntValueNode, Undefined, ValueNode
from strawberry.types import Info

from gateway.audit.anomalies import AnomalyKind, Flag
from gateway.audit.changes import ChangeKind, EventClass, is_change
from gateway.audit.events import RequestOutcome
from gateway.audit.field_groups import groups_under
from gateway.audit.queries import CallerCount, EventView, HourCount, OrganizationCount, PurposeCount, Stats

_LONG_RANGE = range(-(2**63), 2**63)


def _long(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in _LONG_RANGE:
        raise ValueError("Long is a whole number of up to 64 bits")
    return value


def _long_literal(node: ValueNode, _variables: dict[str, Any] | None = None) -> Any:
    """A literal written into the document: anything but an integer literal within 64 bits is
    ``Undefined``, which validation reports as a value of the wrong type. (Raising here instead
    would reach the caller as an internal error: graphql-core keeps the exception as the error's
    cause.) Variables take ``_long``."""
    if isinstance(node, IntValueNode) and int(node.value) in _LONG_RANGE:
        return int(node.value)
    return Undefined


# Sequence numbers and counts outgrow GraphQL's 32-bit Int in a busy log's lifetime. Registered in
# the schema's scalar_map (gateway/api/schema.py).
Long = NewType("Long", int)
LONG_SCALAR = strawberry.scalar(
    name="Long",
    serialize=int,
    parse_value=_long,
    parse_literal=_long_literal,
    description="A whole number of up to 64 bits (sequence numbers, tree sizes, counts).",
)

strawberry.enum(RequestOutcome, name="AuditOutcome")
strawberry.enum(AnomalyKind)
strawberry.enum(
    EventClass,
    name="AuditEventClass",
    description="REQUEST: what a caller asked and was answered (reads, mutations, refusals); CHANGE: what changed in the store, and who changed it.",
)
strawberry.enum(
    ChangeKind,
    name="AuditChangeKind",
    description='What a change event records (docs/audit.md, "Change events").',
)


@strawberry.input(description="Which events; every criterion given must hold.")
class AuditEventFilter:
    caller_id: str | None = None
    organization: str | None = strawberry.field(default=None, description="The caller's organisation.")
    role: str | None = None
    subject_id_number: str | None = strawberry.field(
        default=None,
        description="Events about this person: the number becomes its pseudonym and is never kept.",
    )
    outcome: RequestOutcome | None = None
    operation: str | None = strawberry.field(
        default=None, description="A root field of the operation: person, organization, creditCheck, …"
    )
    operation_name: str | None = None
    error_code: str | None = None
    event_class: EventClass | None = strawberry.field(
        default=None,
        description="Requests apart from changes: CHANGE events say what changed, and who changed it.",
    )
    change: ChangeKind | None = strawberry.field(default=None, description="One kind of change event.")
    start: datetime | None = strawberry.field(default=None, name="from", description="Inclusive.")
    end: datetime | None = strawberry.field(default=None, name="to", description="Exclusive.")


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

    @strawberry.field(description="REQUEST or CHANGE.")
    def event_class(self) -> EventClass:
        return EventClass.CHANGE if is_change(self.event.document) else EventClass.REQUEST

    @strawberry.field(description="A change event's kind; null for a request event.")
    def change(self) -> ChangeKind | None:
        kind = self._doc("change")
        return ChangeKind(kind) if kind is not None else None

    @strawberry.field(description="Subject ids (pseudonymous store references) a change event changed.")
    def changed_subjects(self) -> list[str]:
        return list(self._doc("changed") or [])

    @strawberry.field(
        description="What a change event changed (record and entry ids, counts, hashes, outcomes), as JSON text."
    )
    def change_detail(self) -> str | None:
        detail = self._doc("detail")
        return None if detail is None else json.dumps(detail, ensure_ascii=False, sort_keys=True)

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
    def outcome(self) -> RequestOutcome:
        return RequestOutcome(self._doc("outcome"))

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
    def field_groups(self, info: Info) -> list[str]:
        # The groups are named by the consent scopes of the policy in force (gateway.audit.field_groups).
        return self.event.field_groups(groups_under(info.context.services.policy.consent_fields()))

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
    outcome: RequestOutcome
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


@strawberry.type
class AuditPurposeStats:
    purpose: str | None = strawberry.field(description="The purpose the request stated; null when none.")
    events: Long
    refusals: Long

    @classmethod
    def of(cls, p: PurposeCount) -> AuditPurposeStats:
        return cls(purpose=p.purpose, events=p.events, refusals=p.refusals)


@strawberry.type
class AuditHourStats:
    hour: datetime = strawberry.field(description="The start of the clock hour, UTC.")
    events: Long
    refusals: Long

    @classmethod
    def of(cls, h: HourCount) -> AuditHourStats:
        return cls(hour=h.hour, events=h.events, refusals=h.refusals)


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
    purposes: list[AuditPurposeStats] = strawberry.field(description="Per stated purpose, most events first.")
    hours: list[AuditHourStats] = strawberry.field(
        description="Per UTC clock hour that has events, oldest first."
    )

    @classmethod
    def of(cls, s: Stats) -> AuditStats:
        return cls(
            events=s.events,
            refusals=s.refusals,
            distinct_persons=s.persons,
            outcomes=[
                AuditOutcomeCount(outcome=RequestOutcome(o), events=n) for o, n in sorted(s.outcomes.items())
            ],
            callers=[AuditCallerStats.of(c) for c in s.callers],
            organizations=[AuditOrganizationStats.of(o) for o in s.organizations],
            purposes=[AuditPurposeStats.of(p) for p in s.purposes],
            hours=[AuditHourStats.of(h) for h in s.hours],
        )


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

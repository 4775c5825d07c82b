"""Who looked at me: the audit events in which a person's data was returned, as that person sees them.

An event names in ``subjects`` every subject whose data the operation returned, and the store indexes
them (``audit_event_keys``, kind ``subject``). A person's history is the events indexed by their own
subject id, and nothing else: no other person's events are read, so the answer cannot tell anyone
whether somebody else exists or was looked up. The person's own reads of themself (``me``) are kept
apart, as a central-bank credit report keeps 本人查询 apart from institutions' queries.

Each entry carries an RFC 9162 inclusion proof against the newest signed head, so the person can
check that what is shown is what was logged; and the event's canonical bytes when they reveal nobody
else (``discloses_only``), so the person can recompute the leaf hash. See docs/audit.md, "Who looked
at me".
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from gateway.audit.canonical import format_time, parse_time
from gateway.audit.events import KeyKind
from gateway.audit.field_groups import FieldGroups
from gateway.audit.heads import TreeHead
from gateway.audit.models import AuditEvent, AuditEventKey
from gateway.audit.tree import TreeDataMissing, TreeReader
from gateway.clock import as_utc
from gateway.lifecycle.rules.periods import CHINA_STANDARD_TIME, add_months

MAX_PAGE = 50
# Callers whose own identity an event may show to the person looked up: organisations acting in their
# role (their codes and addresses are theirs, not a private person's), or the person themself.
_ORGANISATION_ROLES = frozenset({"partner", "provider", "auditor", "admin"})
_IDENTITY_PREFIXES = ("idn:", "tel:", "ucc:")


@dataclass(frozen=True, slots=True)
class Proof:
    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    path: list[bytes]


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    time: datetime
    role: str | None
    agency_kind: str | None
    organization: str | None
    purpose: str | None
    consent_id: str | None
    outcome: str
    field_groups: list[str]
    legal_bases: list[str]  # ``law|article|reference`` of a lookup without consent
    notice_after: datetime | None  # the notice delay the policy set, now passed
    own_read: bool
    leaf_hash: bytes
    proof: Proof | None  # None while no signed head covers the event yet
    body: bytes | None  # the canonical bytes, only when they reveal nobody but the person
    # Credit reports the event issued about the person: (serial, sections disclosed), docs/reports.md.
    reports: list[tuple[str, list[str]]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Page:
    entries: list[Entry]
    head: TreeHead | None
    has_more: bool


@dataclass(frozen=True, slots=True)
class PurposeCount:
    purpose: str | None
    last_month: int
    last_two_years: int


@dataclass(frozen=True, slots=True)
class Summary:
    """Lookups of the person by others, like the query-records summary of a credit report."""

    last_month: int
    last_two_years: int
    organizations_last_month: int
    organizations_last_two_years: int
    by_purpose: list[PurposeCount]
    own_reads_last_month: int


def _about(person_id: str) -> Any:
    return (
        select(AuditEvent)
        .join(AuditEventKey, AuditEventKey.seq == AuditEvent.seq)
        .where(AuditEventKey.kind == KeyKind.SUBJECT.value, AuditEventKey.value == person_id)
    )


def _not_own(person_id: str) -> Any:
    return or_(AuditEvent.caller_person.is_(None), AuditEvent.caller_person != person_id)


def _noticeable(now: datetime) -> Any:
    """Events whose notice delay, if any, has passed: a lookup under a legal basis for a purpose the
    policy delays (an ongoing investigation) stays out of the history, and out of its counts, until
    its ``notice`` key's instant. The key holds ``format_time``'s fixed-width UTC text, which orders
    as the instants do."""
    notice = aliased(AuditEventKey)  # the outer query joins the keys for the subject already
    delayed = and_(
        notice.seq == AuditEvent.seq,
        notice.kind == KeyKind.NOTICE.value,
        notice.value > format_time(now),
    )
    return ~exists().where(delayed).correlate(AuditEvent)


def page(
    conn: Connection,
    *,
    person_id: str,
    first: int,
    after: int | None,
    include_own: bool,
    own_pseudonyms: Collection[str],
    now: datetime,
    groups: FieldGroups | None = None,
) -> Page:
    """Events about ``person_id``, newest first, ``first`` at most, older than sequence ``after``
    (keyset pagination: stable while new events arrive). ``own_pseudonyms`` are the person's own
    identity pseudonyms, the only ones an event may hold for its bytes to be shown. ``groups`` name
    the parts of the record each event read (``gateway.audit.field_groups``): they follow from the
    policy in force, which only the caller holds; without them (a caller that only pages, such as
    the retention checks) every entry's ``field_groups`` is empty. Events whose notice is delayed
    past ``now`` are left out."""
    reader = TreeReader(conn)
    # Events an interrupted prune left behind its checkpoint are gone from the log's point of view.
    stmt = _about(person_id).where(AuditEvent.seq >= reader.pruned_below, _noticeable(now))
    if not include_own:
        stmt = stmt.where(_not_own(person_id))
    if after is not None:
        stmt = stmt.where(AuditEvent.seq < after)
    rows = conn.execute(stmt.order_by(AuditEvent.seq.desc()).limit(first + 1)).all()
    head = reader.latest_head()
    entries = [_entry(row, person_id, head, reader, own_pseudonyms, groups) for row in rows[:first]]
    return Page(entries, head, len(rows) > first)


def _entry(
    row: Any,
    person_id: str,
    head: TreeHead | None,
    reader: TreeReader,
    own: Collection[str],
    groups: FieldGroups | None,
) -> Entry:
    body = bytes(row.body)
    document = json.loads(body)
    seq = int(row.seq)
    leaf = bytes(row.leaf_hash)
    proof = None
    if head is not None and seq < head.tree_size:
        try:
            proof = Proof(seq, head.tree_size, leaf, reader.inclusion(seq, head.tree_size))
        except TreeDataMissing:
            proof = None  # behind a retention checkpoint: cannot happen for a retained event
    return Entry(
        seq=seq,
        time=as_utc(row.time),
        role=row.role,
        agency_kind=document.get("agency_kind"),
        organization=row.organization,
        purpose=row.purpose,
        consent_id=row.consent_id,
        outcome=row.outcome,
        field_groups=groups.of(document) if groups is not None else [],
        # The bases of an event about several persons may be another's case: shown only when the
        # person is the event's one subject (fail closed; the purpose still says what it was for).
        legal_bases=[str(b) for b in document.get("legal_bases") or ()]
        if document.get("subjects") == [person_id]
        else [],
        notice_after=parse_time(document["notice_after"][0]) if document.get("notice_after") else None,
        own_read=row.caller_person == person_id,
        leaf_hash=leaf,
        proof=proof,
        body=body if discloses_only(document, person_id, own) else None,
        reports=_reports_about(document, person_id),
    )


def _reports_about(document: dict[str, Any], person_id: str) -> list[tuple[str, list[str]]]:
    """The reports an event issued about ``person_id`` (another subject's report is not theirs)."""
    return [
        (str(r["serial"]), [str(s) for s in r.get("sections", ())])
        for r in document.get("reports") or ()
        if isinstance(r, dict) and r.get("subject") == person_id
    ]


def discloses_only(document: dict[str, Any], person_id: str, own_pseudonyms: Collection[str]) -> bool:
    """Whether an event's bytes show nothing of anyone but ``person_id`` and the organisation that
    asked: the person is its only subject, the caller is an organisation or the person themself, and
    every identity pseudonym in it is one of the person's own. Anything else is withheld (fail closed):
    the entry still carries its leaf hash and proof, only not the bytes."""
    if document.get("subjects") != [person_id]:
        return False
    caller_person = document.get("caller_person")
    if caller_person is not None:
        if caller_person != person_id:
            return False
    elif document.get("role") not in _ORGANISATION_ROLES:
        return False
    pseudonyms = document.get("pseudonyms") or []
    return all(not str(p).startswith(_IDENTITY_PREFIXES) or p in own_pseudonyms for p in pseudonyms)


def _since(now: datetime, months: int) -> datetime:
    """The same moment ``months`` calendar months earlier, China Standard Time (a month back from
    31 March is 28 or 29 February)."""
    local = now.astimezone(CHINA_STANDARD_TIME)
    day = add_months(local.date(), -months)
    return datetime.combine(day, local.timetz()).astimezone(now.tzinfo)


def summary(conn: Connection, *, person_id: str, now: datetime) -> Summary:
    """Counts of lookups by others in the last month and the last two years, per purpose, and of the
    person's own reads in the last month."""
    month, two_years = _since(now, 1), _since(now, 24)
    others = (
        _about(person_id)
        .where(_not_own(person_id), AuditEvent.time >= two_years, _noticeable(now))
        .subquery()
    )
    recent = others.c.time >= month
    rows = conn.execute(
        select(others.c.purpose, func.count(), func.sum(case((recent, 1), else_=0)))
        .group_by(others.c.purpose)
        .order_by(others.c.purpose)
    ).all()
    by_purpose = [PurposeCount(r[0], int(r[2] or 0), int(r[1])) for r in rows]
    orgs = conn.execute(
        select(
            func.count(others.c.organization.distinct()),
            func.count(case((recent, others.c.organization), else_=None).distinct()),
        )
    ).one()
    own = _about(person_id).where(AuditEvent.caller_person == person_id, AuditEvent.time >= month)
    own_month = conn.execute(select(func.count()).select_from(own.subquery())).scalar_one()
    return Summary(
        last_month=sum(p.last_month for p in by_purpose),
        last_two_years=sum(p.last_two_years for p in by_purpose),
        organizations_last_month=int(orgs[1]),
        organizations_last_two_years=int(orgs[0]),
        by_purpose=by_purpose,
        own_reads_last_month=int(own_month),
    )


def window_start(now: datetime, *, months: int) -> datetime:
    """Where "the last ``months`` months" starts, as the summary counts them."""
    return _since(now, months)

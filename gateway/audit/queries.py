"""Reading the log for auditors: pages of events (keyset pagination on ``seq``), counts (per outcome,
caller, organisation, purpose and UTC hour), and the rows the anomaly flags are computed from. Plain functions over a SQLAlchemy connection; they never write.

Pages are ordered by sequence number, oldest first, and a page ends where the next begins (``seq >
cursor``), so events appended while an auditor pages through appear at the end and no event is
shown twice or skipped, unlike OFFSET paging.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, String, case, distinct, func, literal_column, select
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from gateway.audit.anomalies import BasisUse, ConsentUse, Lookup, Refusal
from gateway.audit.canonical import parse_time
from gateway.audit.events import KeyKind, RequestOutcome
from gateway.audit.field_groups import FieldGroups
from gateway.audit.filters import EventFilter, conditions
from gateway.audit.models import AuditEvent, AuditEventKey
from gateway.clock import as_utc
from gateway.store.models import Consent

MAX_PAGE = 500
Where = tuple[ColumnElement[bool], ...]  # the conditions one count is taken under
IDENTITY_PREFIX = "idn:"  # a person named by identity number in the request (pseudonyms.PREFIXES)


@dataclass(frozen=True, slots=True)
class EventView:
    """One stored event: its canonical bytes, leaf hash, and the document they encode."""

    seq: int
    body: bytes
    leaf_hash: bytes
    document: dict[str, Any]

    @property
    def time(self) -> datetime:
        return parse_time(self.document["time"])

    def field_counts(self, effect: str) -> int:
        fields = self.document.get("fields") or {}
        return sum(int(n) for n in (fields.get(effect) or {}).values())

    def field_groups(self, groups: FieldGroups) -> list[str]:
        """Groups of a person's record the event read, under the policy's consent scopes."""
        return groups.of(self.document)


@dataclass(frozen=True, slots=True)
class Page:
    events: list[EventView]
    has_next: bool

    @property
    def end(self) -> int | None:
        return self.events[-1].seq if self.events else None


def _view(row: Any) -> EventView:
    body = bytes(row.body)
    return EventView(int(row.seq), body, bytes(row.leaf_hash), json.loads(body.decode("utf-8")))


def select_events(f: EventFilter, *, after: int | None = None) -> Select[Any]:
    query = select(AuditEvent.seq, AuditEvent.body, AuditEvent.leaf_hash).where(*conditions(f))
    if after is not None:
        query = query.where(AuditEvent.seq > after)
    return query.order_by(AuditEvent.seq)


def page(conn: Connection, f: EventFilter, *, first: int, after: int | None = None) -> Page:
    """Up to ``first`` events after sequence number ``after``; one more is read to tell whether a
    next page exists."""
    rows = conn.execute(select_events(f, after=after).limit(first + 1)).all()
    return Page([_view(r) for r in rows[:first]], len(rows) > first)


def stream(conn: Connection, f: EventFilter, *, chunk: int = 1_000) -> Iterator[EventView]:
    """Every matching event in order, a page at a time (an export never holds the log in memory)."""
    after: int | None = None
    while True:
        batch = page(conn, f, first=chunk, after=after)
        yield from batch.events
        if not batch.has_next or batch.end is None:
            return
        after = batch.end


def count(conn: Connection, f: EventFilter) -> int:
    return int(conn.execute(select(func.count()).select_from(AuditEvent).where(*conditions(f))).scalar_one())


# --- counts -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallerCount:
    caller_id: str | None
    role: str | None
    organization: str | None
    events: int
    refusals: int
    persons: int  # distinct identity numbers (pseudonyms) the caller's requests named


@dataclass(frozen=True, slots=True)
class OrganizationCount:
    organization: str | None
    events: int
    refusals: int
    persons: int


@dataclass(frozen=True, slots=True)
class PurposeCount:
    purpose: str | None  # the purpose the request stated; None when it stated none
    events: int
    refusals: int


@dataclass(frozen=True, slots=True)
class HourCount:
    hour: datetime  # the start of a UTC clock hour
    events: int
    refusals: int


@dataclass(frozen=True, slots=True)
class Stats:
    events: int
    refusals: int
    persons: int
    outcomes: dict[str, int] = field(default_factory=dict)
    callers: list[CallerCount] = field(default_factory=list)
    organizations: list[OrganizationCount] = field(default_factory=list)
    purposes: list[PurposeCount] = field(default_factory=list)
    hours: list[HourCount] = field(default_factory=list)


# --- the UTC hour of an event, in SQL -----------------------------------------------------------------

HOUR_FORMAT = "%Y-%m-%dT%H:00:00Z"


class utc_hour(FunctionElement[str]):
    """The UTC clock hour an instant falls in, as text in ``HOUR_FORMAT`` (``2026-03-12T09:00:00Z``).

    One expression in the query; each dialect's compiler writes it in its own SQL, so the counts
    per hour are grouped in the database whichever one holds the log. Text on both (not
    PostgreSQL's ``date_trunc`` timestamp) so that both answer the same rows. SQLite keeps the
    stored UTC digits (``filters.utc``), PostgreSQL a ``timestamptz`` read in UTC whatever the
    session's time zone.
    """

    type = String()
    name = "utc_hour"
    inherit_cache = True


@compiles(utc_hour)
def _utc_hour_elsewhere(element: utc_hour, compiler: SQLCompiler, **kw: Any) -> str:
    raise CompileError(f"utc_hour is written for SQLite and PostgreSQL, not {compiler.dialect.name}")


@compiles(utc_hour, "sqlite")
def _utc_hour_sqlite(element: utc_hour, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(func.strftime(literal_column(f"'{HOUR_FORMAT}'"), *element.clauses), **kw)


@compiles(utc_hour, "postgresql")
def _utc_hour_postgresql(element: utc_hour, compiler: SQLCompiler, **kw: Any) -> str:
    in_utc = func.timezone(literal_column("'UTC'"), *element.clauses)
    return compiler.process(func.to_char(in_utc, literal_column('\'YYYY-MM-DD"T"HH24:00:00"Z"\'')), **kw)


def _refused() -> Any:
    return func.sum(case((AuditEvent.outcome == RequestOutcome.REFUSED.value, 1), else_=0))


def _person_keys(where: Where) -> Select[Any]:
    return (
        select(AuditEvent.caller_id, AuditEvent.role, AuditEvent.organization, AuditEventKey.value)
        .join(AuditEventKey, AuditEventKey.seq == AuditEvent.seq)
        .where(
            *where,
            AuditEventKey.kind == KeyKind.PSEUDONYM.value,
            AuditEventKey.value.startswith(IDENTITY_PREFIX),
        )
    )


def snapshot(conn: Connection, f: EventFilter) -> Where:
    """The filter's conditions, bounded by the newest sequence number now. Each count is its own
    statement, and each statement sees the events committed before it (SQLite's reads outside a
    write, PostgreSQL's READ COMMITTED); the log commits in sequence order, so with this bound
    every count is of the same events, and the requests that arrive meanwhile (the console's own,
    in parallel) cannot make the totals and the charts disagree."""
    top = conn.execute(select(func.max(AuditEvent.seq))).scalar_one()
    return (*conditions(f), AuditEvent.seq <= (-1 if top is None else top))


def stats(conn: Connection, f: EventFilter) -> Stats:
    """Events, refusals and distinct persons looked up, in total, per outcome, per caller (id, role,
    organisation), per organisation, per purpose and per UTC hour, over the filter's events; all of
    the same events (``snapshot``)."""
    where = snapshot(conn, f)
    outcomes = {
        str(o): int(n)
        for o, n in conn.execute(
            select(AuditEvent.outcome, func.count()).where(*where).group_by(AuditEvent.outcome)
        )
    }
    keys = _person_keys(where).subquery()
    persons_by_caller = {
        (r[0], r[1], r[2]): int(r[3])
        for r in conn.execute(
            select(
                keys.c.caller_id, keys.c.role, keys.c.organization, func.count(distinct(keys.c.value))
            ).group_by(keys.c.caller_id, keys.c.role, keys.c.organization)
        )
    }
    persons_by_org = {
        r[0]: int(r[1])
        for r in conn.execute(
            select(keys.c.organization, func.count(distinct(keys.c.value))).group_by(keys.c.organization)
        )
    }
    persons = int(conn.execute(select(func.count(distinct(keys.c.value)))).scalar_one())
    callers = [
        CallerCount(r.caller_id, r.role, r.organization, int(r.n), int(r.refused or 0),
                    persons_by_caller.get((r.caller_id, r.role, r.organization), 0))
        for r in conn.execute(
            select(AuditEvent.caller_id, AuditEvent.role, AuditEvent.organization,
                   func.count().label("n"), _refused().label("refused"))
            .where(*where)
            .group_by(AuditEvent.caller_id, AuditEvent.role, AuditEvent.organization)
        )
    ]  # fmt: skip
    organizations = [
        OrganizationCount(
            r.organization, int(r.n), int(r.refused or 0), persons_by_org.get(r.organization, 0)
        )
        for r in conn.execute(
            select(AuditEvent.organization, func.count().label("n"), _refused().label("refused"))
            .where(*where)
            .group_by(AuditEvent.organization)
        )
    ]
    callers.sort(key=lambda c: (-c.events, c.caller_id or "", c.role or "", c.organization or ""))
    organizations.sort(key=lambda o: (-o.events, o.organization or ""))
    return Stats(
        events=sum(outcomes.values()),
        refusals=outcomes.get(RequestOutcome.REFUSED.value, 0),
        persons=persons,
        outcomes=outcomes,
        callers=callers,
        organizations=organizations,
        purposes=purposes(conn, where),
        hours=hours(conn, where),
    )


def purposes(conn: Connection, where: Where) -> list[PurposeCount]:
    """Events and refusals per stated purpose, most events first (no purpose last among equals)."""
    rows = conn.execute(
        select(AuditEvent.purpose, func.count().label("n"), _refused().label("refused"))
        .where(*where)
        .group_by(AuditEvent.purpose)
    )
    found = [PurposeCount(r.purpose, int(r.n), int(r.refused or 0)) for r in rows]
    return sorted(found, key=lambda p: (-p.events, p.purpose is None, p.purpose or ""))


def hours(conn: Connection, where: Where) -> list[HourCount]:
    """Events and refusals per UTC clock hour that has any, oldest first. The hour is computed in a
    subquery and grouped by its column, so the expression is written once in the SQL."""
    timed = select(utc_hour(AuditEvent.time).label("hour"), AuditEvent.outcome).where(*where).subquery()
    refused = func.sum(case((timed.c.outcome == RequestOutcome.REFUSED.value, 1), else_=0))
    rows = conn.execute(
        select(timed.c.hour, func.count().label("n"), refused.label("refused"))
        .group_by(timed.c.hour)
        .order_by(timed.c.hour)
    )
    return [
        HourCount(datetime.strptime(r.hour, HOUR_FORMAT).replace(tzinfo=UTC), int(r.n), int(r.refused or 0))
        for r in rows
    ]


# --- rows for the anomaly flags -----------------------------------------------------------------------


# Each reads only the projected columns and keys, never the bodies, and streams its rows.


def lookups(conn: Connection, f: EventFilter) -> list[Lookup]:
    """(event, person) pairs: every identity number (pseudonym) each event's request named."""
    keys = _person_keys(conditions(f)).add_columns(AuditEvent.seq, AuditEvent.time).order_by(AuditEvent.seq)
    return [
        Lookup(int(r.seq), as_utc(r.time), r.caller_id, r.organization, str(r.value))
        for r in conn.execute(keys).yield_per(5_000)
    ]


def refusals(conn: Connection, f: EventFilter) -> list[Refusal]:
    query = (
        select(AuditEvent.seq, AuditEvent.time, AuditEvent.caller_id, AuditEvent.organization)
        .where(*conditions(f), AuditEvent.outcome == RequestOutcome.REFUSED.value)
        .order_by(AuditEvent.seq)
    )
    return [
        Refusal(int(r.seq), as_utc(r.time), r.caller_id, r.organization)
        for r in conn.execute(query).yield_per(5_000)
    ]


def consent_uses(conn: Connection, f: EventFilter) -> list[ConsentUse]:
    """Events that named a consent, with the organisation the consent was granted to (None when the
    consent is not in the store)."""
    query = (
        select(AuditEvent.seq, AuditEvent.time, AuditEvent.caller_id, AuditEvent.organization,
               AuditEvent.consent_id, Consent.grantee_code)
        .outerjoin(Consent, Consent.id == AuditEvent.consent_id)
        .where(*conditions(f), AuditEvent.consent_id.is_not(None))
        .order_by(AuditEvent.seq)
    )  # fmt: skip
    return [
        ConsentUse(int(r.seq), as_utc(r.time), r.caller_id, r.organization, str(r.consent_id), r.grantee_code)
        for r in conn.execute(query).yield_per(5_000)
    ]


def basis_uses(conn: Connection, f: EventFilter) -> list[BasisUse]:
    """(event, legal basis) pairs: every basis each event's lookups without consent stated."""
    query = (
        select(AuditEvent.seq, AuditEvent.time, AuditEvent.caller_id, AuditEvent.organization,
               AuditEvent.outcome, AuditEventKey.value)
        .join(AuditEventKey, AuditEventKey.seq == AuditEvent.seq)
        .where(*conditions(f), AuditEventKey.kind == KeyKind.BASIS.value)
        .order_by(AuditEvent.seq)
    )  # fmt: skip
    return [
        BasisUse(int(r.seq), as_utc(r.time), r.caller_id, r.organization, str(r.value),
                 r.outcome == RequestOutcome.REFUSED.value)
        for r in conn.execute(query).yield_per(5_000)
    ]  # fmt: skip

"""Each counted use of a consent, paired with the audit event of the lookup that spent it.

A consented lookup counts its use in its own unit of work (``consent.use``: the conditional UPDATE
that keeps concurrent lookups on any number of workers within the grant) and reserves a row here in
the same transaction. The audit writer's transaction, the one that appends the lookup's event,
claims the row and writes the event's sequence number into it, so the pairing is as durable as the
event: a use whose event was never committed is never paired.

A worker killed between the two (``kill -9``, a lost machine) leaves a reserved row without an event.
No data left that worker, since an answer leaves only after its event is durable. Once such a row is
older than the grace period (``GATEWAY_CONSENT_USE_GRACE``, longer than any request may wait for its
event), any worker's audit writer releases it and gives the use back to the consent. A row released
while its request was, against every bound, still running cannot be claimed any more: that request
is refused with AUDIT_UNAVAILABLE and releases no data.

``check`` is what ``audit verify`` reports: every consent counts exactly its rows, every paired row
names an event that holds a consent, and no row waits past the grace period (docs/audit.md,
"Consent uses").
"""

from __future__ import annotations

import logging
import secrets
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from gateway.audit.models import AuditEvent
from gateway.store.models import Consent, ConsentUse

log = logging.getLogger("gateway.access")

CLAIMED = -1  # event_seq while the audit writer's transaction appends the row's event
RELEASE_BATCH = 500

_USES = ConsentUse.__table__
_RESERVE = insert(_USES)
_PAIR = (
    update(_USES)
    .where(_USES.c.id == bindparam("use_id"), _USES.c.event_seq == CLAIMED)
    .values(event_seq=bindparam("seq"))
)


def reserve(session: Session, *, consent_id: str, now: datetime) -> str:
    """Reserve the row of a use just counted on ``consent_id``, in the lookup's transaction."""
    use_id = secrets.token_hex(16)
    session.execute(_RESERVE, {"id": use_id, "consent_id": consent_id, "reserved_at": now, "event_seq": None})
    return use_id


def claim(conn: Connection, use_ids: Collection[str]) -> set[str]:
    """The rows among ``use_ids`` still waiting for their event, claimed for this transaction (a
    released row is gone and cannot be claimed); run before the events are appended."""
    if not use_ids:
        return set()
    ids = list(use_ids)
    claiming = update(_USES).where(_USES.c.id.in_(ids), _USES.c.event_seq.is_(None)).values(event_seq=CLAIMED)
    if conn.dialect.update_returning:
        return set(conn.scalars(claiming.returning(_USES.c.id)))
    conn.execute(claiming)  # the claim took the write lock: the rows claimed now are this transaction's
    return set(conn.scalars(select(_USES.c.id).where(_USES.c.id.in_(ids), _USES.c.event_seq == CLAIMED)))


def pair(conn: Connection, pairs: Sequence[tuple[str, int]]) -> None:
    """Write each claimed row's event sequence number, in the transaction that appended the events."""
    if pairs:
        conn.execute(_PAIR, [{"use_id": use_id, "seq": seq} for use_id, seq in pairs])


def release_stale(engine: Engine, *, before: datetime) -> int:
    """Give back the uses reserved before ``before`` that never got their event; returns how many.

    One transaction per batch: the rows are deleted only while still unpaired (a writer that claimed
    one first keeps it) and each consent's count goes down by the rows deleted for it."""
    released = 0
    while True:
        with engine.begin() as conn:
            ids = conn.scalars(
                select(_USES.c.id)
                .where(_USES.c.event_seq.is_(None), _USES.c.reserved_at < before)
                .limit(RELEASE_BATCH)
            ).all()
            if not ids:
                return released
            gone = conn.execute(
                delete(_USES)
                .where(_USES.c.id.in_(ids), _USES.c.event_seq.is_(None))
                .returning(_USES.c.consent_id)
            ).all()
            counts = Counter(row.consent_id for row in gone)
            consents = Consent.__table__
            for consent_id, count in counts.items():
                conn.execute(
                    update(consents).where(consents.c.id == consent_id).values(uses=consents.c.uses - count)
                )
        released += len(gone)
        log.warning("gave back %d consent uses whose lookups never committed their audit event", len(gone))
        if len(ids) < RELEASE_BATCH:
            return released


class StaleUseReleaser:
    """``release_stale`` at most once per ``every`` seconds, for the audit writer's housekeeping."""

    def __init__(
        self, engine: Engine, *, grace: timedelta, clock: Callable[[], datetime], every: float = 10.0
    ) -> None:
        self.engine = engine
        self.grace = grace
        self.clock = clock
        self.every = every
        self._next = 0.0

    def __call__(self, monotonic_now: float) -> None:
        if monotonic_now < self._next:
            return
        self._next = monotonic_now + self.every
        release_stale(self.engine, before=self.clock() - self.grace)


@dataclass(frozen=True, slots=True)
class UseCheck:
    """What verification found of consent uses."""

    counted: int  # the consents' use counters, summed
    paired: int  # rows paired with their event
    waiting: int  # rows reserved within the grace period, their event not yet committed
    stale: int  # rows past the grace period without an event (not released yet)
    unpaired: int  # rows naming an event that does not exist or holds no consent
    miscounted: int  # consents whose counter differs from their rows

    @property
    def ok(self) -> bool:
        return self.stale == 0 and self.unpaired == 0 and self.miscounted == 0

    def problem(self) -> str:
        parts = []
        if self.miscounted:
            parts.append(f"{self.miscounted} consents count other than their uses")
        if self.unpaired:
            parts.append(f"{self.unpaired} uses name no event with a consent")
        if self.stale:
            parts.append(f"{self.stale} uses past the grace period have no event")
        return "; ".join(parts)


def check(conn: Connection, *, now: datetime, grace: timedelta, first_seq: int = 0) -> UseCheck:
    """Pair every counted use with its event. Uses paired with events before ``first_seq`` (pruned
    under the retention period) count as paired."""
    uses, events, consents = _USES, AuditEvent.__table__, Consent.__table__
    cutoff = now - grace
    pending = uses.c.event_seq.is_(None) | (uses.c.event_seq == CLAIMED)
    waiting = conn.scalar(select(func.count()).where(pending, uses.c.reserved_at >= cutoff)) or 0
    stale = conn.scalar(select(func.count()).where(pending, uses.c.reserved_at < cutoff)) or 0
    joined = uses.outerjoin(events, events.c.seq == uses.c.event_seq)
    live = uses.c.event_seq >= first_seq
    paired = conn.scalar(
        select(func.count()).select_from(joined).where(live, events.c.consent_id.is_not(None))
    )
    unpaired = conn.scalar(
        select(func.count()).select_from(joined).where(live, events.c.consent_id.is_(None))
    )
    pruned = conn.scalar(select(func.count()).where(uses.c.event_seq >= 0, uses.c.event_seq < first_seq))
    rows = select(uses.c.consent_id, func.count().label("rows")).group_by(uses.c.consent_id).subquery("rows")
    counted = conn.scalar(select(func.coalesce(func.sum(consents.c.uses), 0))) or 0
    miscounted = conn.scalar(
        select(func.count())
        .select_from(consents.outerjoin(rows, rows.c.consent_id == consents.c.id))
        .where(consents.c.uses != func.coalesce(rows.c.rows, 0))
    )
    return UseCheck(
        int(counted), (paired or 0) + (pruned or 0), waiting, stale, unpaired or 0, miscounted or 0
    )

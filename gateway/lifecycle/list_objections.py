"""Objections to list entries (003 新型监管 二(五): a wrongly listed subject gets its standing back):
file, resolve, list. The same standing, deadline and statements as objections to records
(``gateway.lifecycle.objections``); the outcomes are the list's (``rules.lists.LIST_OUTCOMES``): UPHELD
keeps the entry, REVOKED takes it off the list, and checks and grades no longer see it. It never
commits: the request's unit of work does.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.access.tokens import Caller
from gateway.domain import ListStatus, ObjectionStatus
from gateway.errors import InvalidState, NotFound
from gateway.lifecycle.lists import end, entry_or_404
from gateway.lifecycle.record_subjects import subject_by_id
from gateway.lifecycle.rules.lists import check_list_outcome, check_listed
from gateway.lifecycle.rules.loading import LifecycleRules
from gateway.lifecycle.rules.objections import MAX_EVIDENCE, MAX_REASON, due_on
from gateway.lifecycle.rules.periods import today_in_china
from gateway.lifecycle.rules.standing import deciding_authority, filer_id, standing
from gateway.lifecycle.rules.texts import statement
from gateway.store import keyset
from gateway.store.keyset import After
from gateway.store.models import ListObjection
from gateway.workdays import WorkCalendar

LIST_LIMIT = 500


def file_list_objection(
    session: Session,
    *,
    caller: Caller,
    entry_id: str,
    reason: str | None,
    evidence: str | None,
    rules: LifecycleRules,
    calendar: WorkCalendar,
    now: datetime,
    caller_organization_id: str | None = None,
) -> ListObjection:
    """The listed subject (a person, an enterprise for itself: ``caller_organization_id``, or its
    legal representative, or an agency acting for an organisation) objects to an entry that is on
    its list; one open objection per entry at a time."""
    entry = entry_or_404(session, entry_id)
    subject = subject_by_id(session, entry.subject_id)
    kind = standing(
        caller,
        subject_id=subject.subject_id,
        subject_kind=subject.kind,
        legal_representative_id=subject.legal_representative_id,
        caller_organization_id=caller_organization_id,
    )
    check_listed(entry.status, "objected to")
    open_already = session.scalar(
        select(ListObjection.id).where(
            ListObjection.list_entry_id == entry.id, ListObjection.status == ObjectionStatus.OPEN
        )
    )
    if open_already is not None:
        raise InvalidState("the entry is already under objection")
    objection = ListObjection(
        id=secrets.token_hex(16),
        list_entry_id=entry.id,
        subject_id=entry.subject_id,
        authority_code=entry.authority_code,
        filer_kind=kind,
        filed_by=filer_id(caller),
        reason=statement(reason, "reason", max_len=MAX_REASON),
        evidence=statement(evidence, "evidence", max_len=MAX_EVIDENCE),
        status=ObjectionStatus.OPEN,
        filed_at=now,
        due_on=due_on(today_in_china(now), rules.objections.deadline_working_days, calendar),
    )
    session.add(objection)
    session.flush()
    return objection


def resolve_list_objection(
    session: Session,
    *,
    caller: Caller,
    objection_id: str,
    outcome: ObjectionStatus,
    reason: str | None,
    now: datetime,
) -> ListObjection:
    """The listing authority's provider upholds the entry or revokes it, with a reason."""
    objection = session.get(ListObjection, objection_id)
    if objection is None:
        raise NotFound("no such list objection")
    deciding_authority(caller, objection.authority_code)
    if objection.status is not ObjectionStatus.OPEN:
        raise InvalidState(f"the objection was already resolved ({objection.status.value})")
    check_list_outcome(outcome)
    resolution = statement(reason, "reason", max_len=MAX_REASON)
    claimed = session.execute(
        update(ListObjection)
        .where(ListObjection.id == objection.id, ListObjection.status == ObjectionStatus.OPEN)
        .values(status=outcome, resolved_at=now, resolved_by=caller.org_code, resolution=resolution)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidState("the objection was resolved meanwhile")
    entry = entry_or_404(session, objection.list_entry_id)
    if outcome is ObjectionStatus.REVOKED and entry.status is not ListStatus.REVOKED:
        # Revoked even when delisted meanwhile: the record shows it should never have been listed.
        end(
            session,
            entry,
            ListStatus.REVOKED,
            reason=f"objection {objection.id}: {resolution}",
            today=today_in_china(now),
        )
    session.flush()
    session.refresh(objection)
    return objection


def list_list_objections(
    session: Session,
    *,
    filed_by: str | None = None,
    authority_code: str | None = None,
    subject_id: str | None = None,
    status: ObjectionStatus | None = None,
    overdue_on: date | None = None,
    after: After | None = None,
    limit: int = LIST_LIMIT,
) -> Sequence[ListObjection]:
    """Objections to list entries, newest first, narrowed as ``objections.list_objections`` narrows."""
    stmt = select(ListObjection).order_by(ListObjection.filed_at.desc(), ListObjection.id).limit(limit)
    if after is not None:
        stmt = stmt.where(keyset.following(ListObjection.filed_at, ListObjection.id, after))
    if filed_by is not None:
        stmt = stmt.where(ListObjection.filed_by == filed_by)
    if authority_code is not None:
        stmt = stmt.where(ListObjection.authority_code == authority_code)
    if subject_id is not None:
        stmt = stmt.where(ListObjection.subject_id == subject_id)
    if status is not None:
        stmt = stmt.where(ListObjection.status == status)
    if overdue_on is not None:
        stmt = stmt.where(ListObjection.status == ObjectionStatus.OPEN, ListObjection.due_on < overdue_on)
    return session.scalars(stmt).all()

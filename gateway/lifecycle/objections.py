"""Objection services: file, resolve, list. The rules are in ``gateway.lifecycle.rules.objections`` and
``gateway.lifecycle.rules.standing``; this module loads rows, applies them and writes the outcome. It never
commits: the request's unit of work does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.access.tokens import Caller
from gateway.access.visibility import in_force
from gateway.domain import ObjectionStatus, RecordStatus
from gateway.errors import InvalidInput, InvalidState, NotFound
from gateway.keys.crypto import FieldCipher
from gateway.lifecycle.record_subjects import filing, record_or_404
from gateway.lifecycle.rules.loading import LifecycleRules
from gateway.lifecycle.rules.objections import (
    MAX_EVIDENCE,
    MAX_REASON,
    check_objectionable,
    due_on,
    parse_correction,
    record_status_after,
)
from gateway.lifecycle.rules.periods import today_in_china
from gateway.lifecycle.rules.standing import deciding_authority
from gateway.lifecycle.rules.texts import statement
from gateway.store import free_text, keyset
from gateway.store.inputs import RecordInput, SubjectRef
from gateway.store.keyset import After
from gateway.store.models import CreditRecord, Objection
from gateway.store.writer import RECORD_COLUMNS, StoreWriter
from gateway.workdays import WorkCalendar

LIST_LIMIT = 500


def file_objection(
    session: Session,
    *,
    caller: Caller,
    record_id: str,
    reason: str | None,
    evidence: str | None,
    rules: LifecycleRules,
    calendar: WorkCalendar,
    now: datetime,
    caller_organization_id: str | None = None,
) -> Objection:
    """The record's subject (a person, an enterprise for itself: ``caller_organization_id``), its
    legal representative or an agency acting for an organisation objects; the record is marked."""
    record, filed = filing(session, caller, record_id, caller_organization_id=caller_organization_id)
    today = today_in_china(now)
    check_objectionable(record.status)
    if not in_force(record, today=today, periods=rules.periods):
        raise InvalidState("the record is past its display period and no longer shown or used")
    objection = Objection(
        **filed,
        reason=statement(reason, "reason", max_len=MAX_REASON),
        evidence=statement(evidence, "evidence", max_len=MAX_EVIDENCE),
        prior_status=record.status,
        status=ObjectionStatus.OPEN,
        filed_at=now,
        due_on=due_on(today, rules.objections.deadline_working_days, calendar),
    )
    # One conditional UPDATE: of two objections filed at once, one wins and the other is refused.
    marked = session.execute(
        update(CreditRecord)
        .where(CreditRecord.id == record.id, CreditRecord.status == record.status)
        .values(status=RecordStatus.UNDER_OBJECTION)
        .execution_options(synchronize_session=False)
    )
    if marked.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidState("the record changed while the objection was filed; try again")
    session.add(objection)
    session.flush()
    session.refresh(record)
    return objection


def resolve_objection(
    session: Session,
    cipher: FieldCipher,
    *,
    caller: Caller,
    objection_id: str,
    outcome: ObjectionStatus,
    reason: str | None,
    correction: Mapping[str, Any] | None,
    calendar: WorkCalendar,
    now: datetime,
) -> Objection:
    objection = session.get(Objection, objection_id)
    if objection is None:
        raise NotFound("no such objection")
    deciding_authority(caller, objection.authority_code)
    if objection.status is not ObjectionStatus.OPEN:
        raise InvalidState(f"the objection was already resolved ({objection.status.value})")
    record = record_or_404(session, objection.record_id)
    new_status = record_status_after(outcome, objection.prior_status)
    resolution = statement(reason, "reason", max_len=MAX_REASON)
    if (outcome is ObjectionStatus.CORRECTED) != (correction is not None):
        raise InvalidInput("correction", "is given exactly when the outcome is CORRECTED")
    changes = (
        parse_correction(correction, category=record.category, today=today_in_china(now))
        if correction is not None
        else None
    )
    current = as_input(cipher, record)
    if changes is not None and all(getattr(current, k) == v for k, v in changes.items()):
        raise InvalidInput("correction", "changes nothing; uphold the record instead")
    # Everything is validated above: the request's unit of work commits whatever was written.
    claimed = session.execute(
        update(Objection)
        .where(Objection.id == objection.id, Objection.status == ObjectionStatus.OPEN)
        .values(status=outcome, resolved_at=now, resolved_by=caller.org_code, resolution=resolution)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidState("the objection was resolved meanwhile")
    if changes is not None:
        corrected = replace(current, status=new_status, **changes)
        writer = StoreWriter(session, cipher, calendar=calendar, clock=lambda: now, actor=caller.org_code)
        version = writer.correct(
            record, corrected, reason=f"objection {objection.id}: {resolution}"[:200], now=now
        )
        session.execute(update(Objection).where(Objection.id == objection.id).values(record_version=version))
    else:
        session.execute(update(CreditRecord).where(CreditRecord.id == record.id).values(status=new_status))
    session.flush()
    session.refresh(objection)
    session.refresh(record)
    return objection


def as_input(cipher: FieldCipher, record: CreditRecord) -> RecordInput:
    """The record as the writer's input, to apply a correction to (the subject is kept by id), with
    its whole content (stored masked and encrypted when it is about a natural person)."""
    values = {name: getattr(record, name) for name in RECORD_COLUMNS}
    values["content"] = free_text.whole(cipher, record, "content")
    return RecordInput(subject=SubjectRef(), **values)


def list_objections(
    session: Session,
    *,
    filed_by: str | None = None,
    authority_code: str | None = None,
    subject_id: str | None = None,
    status: ObjectionStatus | None = None,
    overdue_on: date | None = None,
    after: After | None = None,
    limit: int = LIST_LIMIT,
) -> Sequence[Objection]:
    """Objections, newest first, narrowed by filer, issuing authority, the records' subject, status,
    or "open and past its deadline on ``overdue_on``"; ``after`` and ``limit`` make a keyset page."""
    stmt = select(Objection).order_by(Objection.filed_at.desc(), Objection.id).limit(limit)
    if after is not None:
        stmt = stmt.where(keyset.following(Objection.filed_at, Objection.id, after))
    if filed_by is not None:
        stmt = stmt.where(Objection.filed_by == filed_by)
    if authority_code is not None:
        stmt = stmt.where(Objection.authority_code == authority_code)
    if subject_id is not None:
        stmt = stmt.where(Objection.subject_id == subject_id)
    if status is not None:
        stmt = stmt.where(Objection.status == status)
    if overdue_on is not None:
        stmt = stmt.where(Objection.status == ObjectionStatus.OPEN, Objection.due_on < overdue_on)
    return session.scalars(stmt).all()

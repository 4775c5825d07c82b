"""Credit-repair services: apply, decide, list. The rules are in ``gateway.lifecycle.rules.repair`` and
``gateway.lifecycle.rules.standing``. Nothing is written before everything is validated, and nothing is
committed here: the request's unit of work does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.access.tokens import Caller
from gateway.domain import RecordStatus, RepairStatus
from gateway.errors import InvalidState, NotFound
from gateway.lifecycle.record_subjects import filing, record_or_404
from gateway.lifecycle.rules.loading import LifecycleRules
from gateway.lifecycle.rules.periods import today_in_china
from gateway.lifecycle.rules.repair import MAX_EVIDENCE, MAX_STATEMENT, check_repairable
from gateway.lifecycle.rules.standing import deciding_authority
from gateway.lifecycle.rules.texts import statement
from gateway.store import keyset
from gateway.store.keyset import After
from gateway.store.models import CreditRecord, RepairApplication

LIST_LIMIT = 500


def apply_for_repair(
    session: Session,
    *,
    caller: Caller,
    record_id: str,
    statement_text: str | None,
    evidence: str | None,
    rules: LifecycleRules,
    now: datetime,
    caller_organization_id: str | None = None,
) -> RepairApplication:
    """The record's subject (a person, an enterprise for itself: ``caller_organization_id``), its
    legal representative or an agency acting for an organisation applies; one pending at a time."""
    record, filed = filing(session, caller, record_id, caller_organization_id=caller_organization_id)
    check_repairable(record, today=today_in_china(now), periods=rules.periods)
    pending = session.scalar(
        select(RepairApplication.id).where(
            RepairApplication.record_id == record.id, RepairApplication.status == RepairStatus.PENDING
        )
    )
    if pending is not None:
        raise InvalidState("a repair application for this record is already pending")
    application = RepairApplication(
        **filed,
        statement=statement(statement_text, "statement", max_len=MAX_STATEMENT),
        evidence=statement(evidence, "evidence", max_len=MAX_EVIDENCE),
        status=RepairStatus.PENDING,
        filed_at=now,
    )
    session.add(application)
    session.flush()
    return application


def decide_repair(
    session: Session,
    *,
    caller: Caller,
    application_id: str,
    approve: bool,
    reason: str | None,
    rules: LifecycleRules,
    now: datetime,
) -> RepairApplication:
    application = session.get(RepairApplication, application_id)
    if application is None:
        raise NotFound("no such repair application")
    deciding_authority(caller, application.authority_code)
    if application.status is not RepairStatus.PENDING:
        raise InvalidState(f"the application was already decided ({application.status.value})")
    record = record_or_404(session, application.record_id)
    decision = statement(reason, "reason", max_len=MAX_STATEMENT)
    if approve:
        # The record may have changed since the application (an objection, a revocation).
        check_repairable(record, today=today_in_china(now), periods=rules.periods)
    outcome = RepairStatus.APPROVED if approve else RepairStatus.REFUSED
    claimed = session.execute(
        update(RepairApplication)
        .where(RepairApplication.id == application.id, RepairApplication.status == RepairStatus.PENDING)
        .values(status=outcome, decided_at=now, decided_by=caller.org_code, decision_reason=decision)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidState("the application was decided meanwhile")
    if approve:
        session.execute(
            update(CreditRecord).where(CreditRecord.id == record.id).values(status=RecordStatus.REPAIRED)
        )
    session.flush()
    session.refresh(application)
    session.refresh(record)
    return application


def list_applications(
    session: Session,
    *,
    filed_by: str | None = None,
    authority_code: str | None = None,
    subject_id: str | None = None,
    status: RepairStatus | None = None,
    after: After | None = None,
    limit: int = LIST_LIMIT,
) -> Sequence[RepairApplication]:
    """Applications, newest first, narrowed by filer, issuing authority, the records' subject or
    status; ``after`` and ``limit`` make a keyset page."""
    stmt = (
        select(RepairApplication)
        .order_by(RepairApplication.filed_at.desc(), RepairApplication.id)
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(keyset.following(RepairApplication.filed_at, RepairApplication.id, after))
    if filed_by is not None:
        stmt = stmt.where(RepairApplication.filed_by == filed_by)
    if authority_code is not None:
        stmt = stmt.where(RepairApplication.authority_code == authority_code)
    if subject_id is not None:
        stmt = stmt.where(RepairApplication.subject_id == subject_id)
    if status is not None:
        stmt = stmt.where(RepairApplication.status == status)
    return session.scalars(stmt).all()

"""The subject a record is about, as the lifecycle procedures need it: kind and legal representative."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.domain import SubjectKind
from gateway.errors import NotFound
from gateway.store.models import CreditRecord, Organization, Subject


@dataclass(frozen=True, slots=True)
class RecordSubject:
    subject_id: str
    kind: SubjectKind
    legal_representative_id: str | None


def record_or_404(session: Session, record_id: str) -> CreditRecord:
    record = session.get(CreditRecord, record_id)
    if record is None:
        raise NotFound("no such record")
    return record


def subject_of(session: Session, record: CreditRecord) -> RecordSubject:
    kind = session.scalar(select(Subject.kind).where(Subject.id == record.subject_id))
    assert kind is not None  # a foreign key
    rep = session.scalar(
        select(Organization.legal_representative_id).where(Organization.subject_id == record.subject_id)
    )
    return RecordSubject(record.subject_id, kind, rep)

"""The subject a record is about, as the lifecycle procedures need it: kind and legal representative;
and what an objection and a repair application alike record of who filed them about which record."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.access.tokens import Caller
from gateway.domain import SubjectKind
from gateway.errors import NotFound
from gateway.lifecycle.rules.standing import filer_id, standing
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
    return subject_by_id(session, record.subject_id)


def subject_by_id(session: Session, subject_id: str) -> RecordSubject:
    """A stored subject's kind and legal representative (what standing is decided on)."""
    kind = session.scalar(select(Subject.kind).where(Subject.id == subject_id))
    assert kind is not None  # a foreign key
    rep = session.scalar(
        select(Organization.legal_representative_id).where(Organization.subject_id == subject_id)
    )
    return RecordSubject(subject_id, kind, rep)


def filing(
    session: Session, caller: Caller, record_id: str, *, caller_organization_id: str | None = None
) -> tuple[CreditRecord, dict[str, Any]]:
    """The record a filing (an objection, a repair application) is about, and the columns every
    filing has: a new id, the record, its subject and issuing authority, and how and by whom it is
    filed. Raises NotFound for an unknown record and NotEntitled when the caller may not act for the
    record's subject. ``caller_organization_id``: the organisation an enterprise caller is."""
    record = record_or_404(session, record_id)
    subject = subject_of(session, record)
    kind = standing(
        caller,
        subject_id=subject.subject_id,
        subject_kind=subject.kind,
        legal_representative_id=subject.legal_representative_id,
        caller_organization_id=caller_organization_id,
    )
    return record, {
        "id": secrets.token_hex(16),
        "record_id": record.id,
        "subject_id": subject.subject_id,
        "authority_code": record.authority_code,
        "filer_kind": kind,
        "filed_by": filer_id(caller),
    }

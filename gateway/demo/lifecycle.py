"""Lifecycle examples in the demo data, so a newcomer sees every state with the printed tokens.

Objections (open, overdue, corrected, revoked, upheld) and repair applications (pending, approved,
refused) are made through the same services the API uses, on records of the demo provider's
authority where they allow it (else of others': admins and auditors see them all), filed by the
record's subject (a person) or by the demo partner agency acting for an organisation, and decided by
the issuing authority; plus an open objection of the demo individual as legal
representative. A candidate the rules refuse (not in force, not yet repairable) is skipped: the
examples never stop the demo.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.access.tokens import Caller, Role
from gateway.domain import AgencyKind, ObjectionStatus, RecordStatus, SubjectKind, is_dishonesty
from gateway.errors import GatewayError
from gateway.keys.crypto import FieldCipher
from gateway.lifecycle import objections, repairs
from gateway.lifecycle.rules.loading import LifecycleRules
from gateway.store.models import CreditRecord, Objection, RecordLink, Subject
from gateway.workdays import WorkCalendar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Actors:
    partner_code: str
    provider_code: str
    person_id: str


def add_lifecycle_examples(
    session: Session,
    cipher: FieldCipher,
    *,
    actors: Actors,
    rules: LifecycleRules,
    calendar: WorkCalendar,
    now: datetime,
) -> list[str]:
    """Make the examples; returns what was made, one line each."""
    partner = Caller(actors.partner_code, Role.PARTNER, org_code=actors.partner_code,
                     agency_kind=AgencyKind.MARKET_REGULATION)  # fmt: skip
    person = Caller(actors.person_id, Role.INDIVIDUAL, person_id=actors.person_id)
    candidates = iter(_candidates(session, actors.provider_code))
    made: list[str] = []

    def filer(record: CreditRecord, kind: SubjectKind) -> Caller:
        if kind is SubjectKind.PERSON:
            return Caller(record.subject_id, Role.INDIVIDUAL, person_id=record.subject_id)
        return partner

    def file(when: datetime) -> Objection | None:
        return _first(candidates, lambda r, k: objections.file_objection(
            session, caller=filer(r, k), record_id=r.id, reason="处罚所依据的事实有误",
            evidence="现场检查记录复印件", rules=rules, calendar=calendar, now=when,
        ))  # fmt: skip

    def decider(record_id: str) -> Caller:
        authority = session.get(CreditRecord, record_id).authority_code  # type: ignore[union-attr]
        return Caller(authority, Role.PROVIDER, org_code=authority)

    # Repairs first: few records are past their minimum period and still within their display period.
    for approve in (True, False, None):
        application = _first(candidates, lambda r, k: repairs.apply_for_repair(
            session, caller=filer(r, k), record_id=r.id, statement_text="罚款已缴清，已整改，承诺守法经营",
            evidence="缴款凭证、整改报告", rules=rules, now=now,
        ))  # fmt: skip
        if application is None:
            continue
        if approve is not None:
            repairs.decide_repair(session, caller=decider(application.record_id), application_id=application.id,
                                  approve=approve, reason="材料齐全" if approve else "未提交整改报告", rules=rules,
                                  now=now)  # fmt: skip
        made.append("repair " + {True: "approved", False: "refused", None: "pending"}[approve])
    for outcome in (ObjectionStatus.CORRECTED, ObjectionStatus.REVOKED, ObjectionStatus.UPHELD):
        filed = file(now - timedelta(days=5))
        if filed is not None:
            objections.resolve_objection(
                session, cipher, caller=decider(filed.record_id), objection_id=filed.id, outcome=outcome,
                reason="经核实", calendar=calendar, now=now,
                correction={"content": "经异议核实，更正处罚事实"} if outcome is ObjectionStatus.CORRECTED else None,
            )  # fmt: skip
            made.append(f"objection {outcome.value.lower()}")
    if file(now - timedelta(days=40)) is not None:
        made.append("objection open and overdue")
    if file(now) is not None:
        made.append("objection open")
    linked = session.scalars(
        select(RecordLink.record_id)
        .where(RecordLink.subject_id == actors.person_id)
        .order_by(RecordLink.record_id)
    ).all()
    for record_id in linked:
        try:
            objections.file_objection(
                session, caller=person, record_id=record_id, reason="本人已不再担任法定代表人",
                evidence="变更登记通知书", rules=rules, calendar=calendar, now=now,
            )  # fmt: skip
        except GatewayError:
            continue
        made.append("objection of the individual, as legal representative")
        break
    return made


def _candidates(session: Session, authority: str) -> list[tuple[CreditRecord, SubjectKind]]:
    """Active dishonesty records with their subject's kind: the provider's authority first, then the
    others; oldest decision first (the most likely to be repairable), then by id, so the same data
    gives the same examples."""
    stmt = (
        select(CreditRecord, Subject.kind)
        .join(Subject, Subject.id == CreditRecord.subject_id)
        .where(CreditRecord.status == RecordStatus.ACTIVE)
        .order_by(CreditRecord.authority_code != authority, CreditRecord.decision_date, CreditRecord.id)
    )
    return [(r, k) for r, k in session.execute(stmt) if is_dishonesty(r.category, r.severity, r.kept)]


def _first(
    candidates: Iterator[tuple[CreditRecord, SubjectKind]], action: Callable[[CreditRecord, SubjectKind], T]
) -> T | None:
    for record, kind in candidates:
        try:
            return action(record, kind)
        except GatewayError:
            continue
    return None

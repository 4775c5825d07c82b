"""Objections (异议): the rules, without the database.

A subject who finds a record wrong files an objection with a reason and evidence; the record shows
``UNDER_OBJECTION`` at once. The issuing authority resolves it within a deadline in working days:
CORRECTED (fields changed, the old version kept), REVOKED (never shown again) or UPHELD (the record
stands as it was). Wrong information is corrected or revoked promptly (000 政务 9, 002 二(七)3,
003 second plan 二(五)); the subject is encouraged to check its own information (002 二(七)3).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from gateway.domain import Category, ObjectionStatus, Procedure, RecordStatus, Severity
from gateway.errors import InvalidInput, InvalidState
from gateway.store.inputs import enum_value, optional_bool, optional_date, optional_decimal, parse_date, text
from gateway.workdays import WorkCalendar

OBJECTIONABLE = frozenset({RecordStatus.ACTIVE, RecordStatus.CORRECTED})
OUTCOMES = frozenset({ObjectionStatus.CORRECTED, ObjectionStatus.REVOKED, ObjectionStatus.UPHELD})
MAX_REASON = 5_000
MAX_EVIDENCE = 20_000


@dataclass(frozen=True, slots=True)
class ObjectionRules:
    deadline_working_days: int
    source: str


def check_objectionable(status: RecordStatus) -> None:
    if status is RecordStatus.UNDER_OBJECTION:
        raise InvalidState("the record is already under objection")
    if status not in OBJECTIONABLE:
        raise InvalidState(f"a {status.value.lower()} record cannot be objected to")


def due_on(filed: date, working_days: int, calendar: WorkCalendar) -> date:
    """The last day to resolve: the ``working_days``-th working day after the filing date."""
    day, left = filed, working_days
    while left > 0:
        day += timedelta(days=1)
        left -= calendar.is_workday(day)
    return day


def is_overdue(status: ObjectionStatus, due: date, today: date) -> bool:
    return status is ObjectionStatus.OPEN and today > due


def record_status_after(outcome: ObjectionStatus, prior: RecordStatus) -> RecordStatus:
    if outcome not in OUTCOMES:
        raise InvalidInput("outcome", "must be CORRECTED, REVOKED or UPHELD")
    return {
        ObjectionStatus.CORRECTED: RecordStatus.CORRECTED,
        ObjectionStatus.REVOKED: RecordStatus.REVOKED,
        ObjectionStatus.UPHELD: prior,
    }[outcome]


def parse_correction(obj: Mapping[str, Any], *, category: Category, today: date) -> dict[str, Any]:
    """The fields a correction changes, validated as imports validate them (``gateway.store.inputs``), as
    keyword arguments for a ``RecordInput``. The record's key (authority, document number, category)
    and its subject are not correctable: a record filed against the wrong subject is revoked."""
    changes: dict[str, Any] = {}
    given = {k for k, v in obj.items() if v is not None}
    if "content" in given:
        changes["content"] = text(obj, "content", max_len=20_000)
    if "legalBasis" in given:
        changes["legal_basis"] = text(obj, "legalBasis", max_len=5_000)
    if "authorityName" in given:
        changes["authority_name"] = text(obj, "authorityName", max_len=200)
    if "penaltyKinds" in given:
        changes["penalty_kinds"] = text(obj, "penaltyKinds", max_len=200)
    if "severity" in given:
        changes["severity"] = enum_value(obj, "severity", Severity)
    if "decisionDate" in given:
        decided = parse_date(obj["decisionDate"], "decisionDate")
        if decided > today:
            raise InvalidInput("decisionDate", "is in the future")
        changes["decision_date"] = decided
    if "procedure" in given:
        if category is not Category.ADMINISTRATIVE_PENALTY:
            raise InvalidInput("procedure", "applies to administrative penalties only")
        changes["procedure"] = enum_value(obj, "procedure", Procedure)
    if "kept" in given:
        if category is not Category.CREDIT_COMMITMENT:
            raise InvalidInput("kept", "applies to credit commitments only")
        changes["kept"] = optional_bool(obj, "kept")
    if "amount10kYuan" in given:
        changes["amount_10k_yuan"] = optional_decimal(obj, "amount10kYuan")
    for field, key in (("validUntil", "valid_until"), ("publicationUntil", "publication_until")):
        if field in given:
            changes[key] = optional_date(obj, field)
    if not changes:
        raise InvalidInput("correction", "name at least one field to change")
    return changes

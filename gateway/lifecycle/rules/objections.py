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

from gateway.domain import Category, ObjectionStatus, RecordStatus
from gateway.errors import InvalidInput, InvalidState
from gateway.store.inputs import parse_record
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
    """The fields a correction changes, validated by the import's rules (``parse_record`` in partial
    mode), as keyword arguments for a ``RecordInput``. The record's key (authority, document number,
    category) and its subject are not correctable: a record filed against the wrong subject is revoked."""
    changes: dict[str, Any] = parse_record(obj, partial=True, category=category, today=today)
    if not changes:
        raise InvalidInput("correction", "name at least one field to change")
    return changes

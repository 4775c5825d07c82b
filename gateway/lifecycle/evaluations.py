"""Credit-evaluation service: a subject's rows through ``gateway.lifecycle.rules.grades``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gateway.lifecycle.checks import subject_rows
from gateway.lifecycle.rules.grades import Evaluation, evaluate
from gateway.lifecycle.rules.loading import LifecycleRules
from gateway.lifecycle.rules.periods import today_in_china


def evaluate_subject(
    session: Session, *, subject_id: str, is_person: bool, rules: LifecycleRules, now: datetime
) -> Evaluation:
    records, listings = subject_rows(session, subject_id=subject_id, is_person=is_person)
    return evaluate(
        records=records,
        listings=listings,
        today=today_in_china(now),
        periods=rules.periods,
        rules=rules.grades,
    )

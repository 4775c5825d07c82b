"""Credit-evaluation service: a subject's rows through ``gateway.lifecycle.grades``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gateway.credit_checks import subject_rows
from gateway.lifecycle.grades import Evaluation, evaluate
from gateway.lifecycle.periods import today_in_china
from gateway.lifecycle.rules import LifecycleRules


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

"""Credit-evaluation service: a subject's rows through ``gateway.lifecycle.rules.grades``; for a person,
with what reaches them from the organisations they answer for (``gateway.lifecycle.responsibilities``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gateway.keys.crypto import FieldCipher
from gateway.lifecycle.checks import subject_rows
from gateway.lifecycle.responsibilities import reaches_of
from gateway.lifecycle.rules.grades import Evaluation, evaluate
from gateway.lifecycle.rules.loading import LifecycleRules
from gateway.lifecycle.rules.periods import today_in_china


def evaluate_subject(
    session: Session,
    *,
    subject_id: str,
    is_person: bool,
    rules: LifecycleRules,
    now: datetime,
    cipher: FieldCipher,
) -> Evaluation:
    records, listings = subject_rows(session, subject_id=subject_id, is_person=is_person)
    today = today_in_china(now)
    reached = reaches_of(session, cipher, subject_id, rules=rules, today=today) if is_person else ()
    return evaluate(
        records=records,
        listings=listings,
        today=today,
        periods=rules.periods,
        rules=rules.grades,
        reached=reached,
    )

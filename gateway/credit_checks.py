"""Credit-check service: load a subject's records and list entries, apply ``gateway.lifecycle.checks``.

For a person, records reaching them as an organisation's legal representative count too (the seeds
record an organisation's serious dishonesty against its legal representative, 001 (十), 004 三(二)).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gateway import reads
from gateway.domain import CheckMatter
from gateway.lifecycle.checks import CheckOutcome, Listing, check
from gateway.lifecycle.periods import today_in_china
from gateway.lifecycle.rules import LifecycleRules


def check_subject(
    session: Session,
    *,
    subject_id: str,
    is_person: bool,
    matter: CheckMatter,
    rules: LifecycleRules,
    now: datetime,
) -> CheckOutcome:
    records = list(reads.records_of(session, [subject_id]).get(subject_id, []))
    if is_person:
        records += reads.linked_records_of(session, [subject_id]).get(subject_id, [])
    entries = reads.list_entries_of(session, [subject_id]).get(subject_id, [])
    listings = [Listing(e, tuple(reads.records_justifying(session, e.id))) for e in entries]
    return check(
        matter=matter,
        records=records,
        listings=listings,
        today=today_in_china(now),
        periods=rules.periods,
        rules=rules.checks,
    )

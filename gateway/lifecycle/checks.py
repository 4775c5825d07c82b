"""Credit-check service: load a subject's records and list entries, apply ``gateway.lifecycle.rules.checks``
(the same rows feed the evaluation, ``gateway.lifecycle.evaluations``).

For a person, records reaching them as an organisation's legal representative count too (the seeds
record an organisation's serious dishonesty against its legal representative, 001 (十), 004 三(二)), and
so do the black listings and serious dishonesty of every organisation they answer for
(``gateway.lifecycle.responsibilities``: 落实到人).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gateway.domain import CheckMatter
from gateway.keys.crypto import FieldCipher
from gateway.lifecycle.responsibilities import reaches_of
from gateway.lifecycle.rules.checks import CheckOutcome, Listing, check
from gateway.lifecycle.rules.loading import LifecycleRules
from gateway.lifecycle.rules.periods import today_in_china
from gateway.store import reads
from gateway.store.models import CreditRecord


def subject_rows(
    session: Session, *, subject_id: str, is_person: bool
) -> tuple[list[CreditRecord], list[Listing]]:
    """A subject's records (for a person, with those reaching them as a legal representative) and list
    entries with their justifying records: what checks and grades read."""
    records = list(reads.records_of(session, [subject_id]).get(subject_id, []))
    if is_person:
        records += reads.linked_records_of(session, [subject_id]).get(subject_id, [])
    entries = reads.list_entries_of(session, [subject_id]).get(subject_id, [])
    justifying = reads.records_justifying(session, [e.id for e in entries])
    return records, [Listing(e, tuple(justifying.get(e.id, ()))) for e in entries]


def check_subject(
    session: Session,
    *,
    subject_id: str,
    is_person: bool,
    matter: CheckMatter,
    rules: LifecycleRules,
    now: datetime,
    cipher: FieldCipher,
) -> CheckOutcome:
    records, listings = subject_rows(session, subject_id=subject_id, is_person=is_person)
    today = today_in_china(now)
    reached = reaches_of(session, cipher, subject_id, rules=rules, today=today) if is_person else ()
    return check(
        matter=matter,
        records=records,
        listings=listings,
        today=today,
        periods=rules.periods,
        rules=rules.checks,
        reached=reached,
    )

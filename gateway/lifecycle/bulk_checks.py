"""Bulk credit checks of organisations (信用核查全覆盖, 002 二(三)4): the rows of many subjects loaded a
chunk at a time, each subject through the same rule as ``gateway.lifecycle.checks.check_subject``.

A check of one organisation reads its records, its list entries and the records that justify them;
here each of those is one statement per chunk of subjects, so the number of statements grows with the
batch's size divided by ``CHUNK``, never with what a subject holds. Results are yielded chunk by
chunk: a caller that writes each away (the benchmark, a spreadsheet) holds one chunk's rows at a time.

Persons are not here: each needs its own consent or legal basis and its responsibilities (落实到人),
so a person's row goes through ``check_subject`` as a single check does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from gateway.domain import CheckMatter
from gateway.lifecycle.rules.checks import CheckOutcome, Listing, check
from gateway.lifecycle.rules.loading import LifecycleRules
from gateway.lifecycle.rules.periods import today_in_china
from gateway.store import reads

# Subjects per chunk: the IN lists stay well below the drivers' bound-parameter limits, and one
# chunk's rows are what a streaming caller holds at once.
CHUNK = 500


def check_organizations(
    session: Session,
    subject_ids: Sequence[str],
    *,
    matter: CheckMatter,
    rules: LifecycleRules,
    now: datetime,
) -> Iterator[tuple[str, CheckOutcome]]:
    """Each organisation's check, in the order given (a subject named twice is checked twice), as
    ``check_subject(..., is_person=False)`` would give it."""
    today = today_in_china(now)
    for start in range(0, len(subject_ids), CHUNK):
        chunk = list(subject_ids[start : start + CHUNK])
        distinct = sorted(set(chunk))
        records = reads.records_of(session, distinct)
        entries = reads.list_entries_of(session, distinct)
        justifying = reads.records_justifying(session, [e.id for rows in entries.values() for e in rows])
        for subject_id in chunk:
            listings = [Listing(e, tuple(justifying.get(e.id, ()))) for e in entries.get(subject_id, ())]
            outcome = check(
                matter=matter,
                records=list(records.get(subject_id, ())),
                listings=listings,
                today=today,
                periods=rules.periods,
                rules=rules.checks,
                reached=(),
            )
            yield subject_id, outcome

"""Which records a viewer may see at all (row level); field level is the Casbin policy's job.

Every rule about whether a record is shown or used lives here, decided per request against the
request's clock (``today``, a date in China Standard Time) and the display-period table:

- A record past its display period (展示期限) is neither shown nor used by any query, check or grade
  (000 个人 四(三), 001 (十三), 002 二(七)2).
- Revoked records (an objection found them wrong, 000 政务 9, 002 二(七)3) and repaired records
  (002 二(七)4, 003 second plan 二(五)) leave every view but the archive, which admins and auditors
  read.
- The public sees only what may be published (000 双公示 二(三)): nothing recorded against a natural
  person, no penalty decided by simple procedure, no category the period table keeps off the portal
  (minor dishonesty), and never a record of an act committed before the person turned 18, whoever
  else a later rule publishes (001 (十三), 004 个人 四(三); ``gateway.lifecycle.rules.minors``).
- Checks and grades use what query callers see, less records whose own validity ended (``EXPIRED``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from gateway.domain import Category, Procedure, RecordStatus, SubjectKind
from gateway.lifecycle.rules.periods import DisplayPeriods
from gateway.store.models import CreditRecord, ListEntry


class Viewer(StrEnum):
    PUBLIC = "PUBLIC"
    QUERY = "QUERY"  # partners, providers, the person themself, consented lookups
    ARCHIVE = "ARCHIVE"  # admins and auditors


HIDDEN_FROM_QUERIES = frozenset({RecordStatus.REVOKED, RecordStatus.REPAIRED})
NOT_A_BASIS = HIDDEN_FROM_QUERIES | {RecordStatus.EXPIRED}


def in_force(record: CreditRecord, *, today: date, periods: DisplayPeriods) -> bool:
    """Shown to query callers: not revoked, not repaired, within its display period."""
    return record.status not in HIDDEN_FROM_QUERIES and periods.shown(record, today)


def counts(record: CreditRecord, *, today: date, periods: DisplayPeriods) -> bool:
    """A basis for credit checks and grades: in force and still valid in itself."""
    return record.status not in NOT_A_BASIS and periods.shown(record, today)


def in_publication_scope(record: CreditRecord, subject_kind: SubjectKind, *, periods: DisplayPeriods) -> bool:
    """Whether the portal may ever show the record, whatever its status and age."""
    if record.committed_as_minor:
        return False
    if subject_kind is SubjectKind.PERSON:
        return False
    if record.category is Category.ADMINISTRATIVE_PENALTY and record.procedure is Procedure.SIMPLE:
        return False
    return periods.window(record).public


def publishable(
    record: CreditRecord, subject_kind: SubjectKind, *, today: date, periods: DisplayPeriods
) -> bool:
    """Whether the portal shows the record today."""
    return in_force(record, today=today, periods=periods) and in_publication_scope(
        record, subject_kind, periods=periods
    )


def visible_records(
    records: Iterable[CreditRecord],
    *,
    viewer: Viewer,
    subject_kinds: dict[str, SubjectKind],
    today: date,
    periods: DisplayPeriods,
) -> list[CreditRecord]:
    """``subject_kinds`` maps each record's subject id to its kind (a record reached through a link
    keeps the kind of the subject it was recorded against); a subject missing from it counts as a
    person, so a lookup gap hides rather than publishes."""
    if viewer is Viewer.ARCHIVE:
        return list(records)
    if viewer is Viewer.QUERY:
        return [r for r in records if in_force(r, today=today, periods=periods)]
    return [
        r
        for r in records
        if publishable(r, subject_kinds.get(r.subject_id, SubjectKind.PERSON), today=today, periods=periods)
    ]


def visible_list_entries(entries: Iterable[ListEntry], *, viewer: Viewer) -> list[ListEntry]:
    # List entries are published by their listing authority; all viewers see them. The records that
    # justify an entry go through visible_records like any other.
    return list(entries)

"""Which records a viewer may see at all (row level); field level is the Casbin policy's job.

The public sees only what the seeds allow to be published (000 双公示 二(三)): no penalty of a
natural person, no penalty decided by simple procedure, nothing revoked or repaired. Every other
viewer sees a subject's records except revoked and repaired ones, which stay in the archive for
admins and auditors (002 二(七)4).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from gateway.domain import Category, Procedure, RecordStatus, SubjectKind
from gateway.models import CreditRecord, ListEntry


class Viewer(StrEnum):
    PUBLIC = "PUBLIC"
    QUERY = "QUERY"  # partners, providers, the person themself, consented lookups
    ARCHIVE = "ARCHIVE"  # admins and auditors


HIDDEN_FROM_QUERIES = frozenset({RecordStatus.REVOKED, RecordStatus.REPAIRED})


def publishable(record: CreditRecord, subject_kind: SubjectKind) -> bool:
    if record.status in HIDDEN_FROM_QUERIES:
        return False
    if record.category is Category.ADMINISTRATIVE_PENALTY:
        if subject_kind is SubjectKind.PERSON or record.procedure is Procedure.SIMPLE:
            return False
    return True


def visible_records(
    records: Iterable[CreditRecord], *, viewer: Viewer, subject_kinds: dict[str, SubjectKind]
) -> list[CreditRecord]:
    """``subject_kinds`` maps each record's subject id to its kind (a record reached through a link
    keeps the kind of the subject it was recorded against)."""
    if viewer is Viewer.ARCHIVE:
        return list(records)
    if viewer is Viewer.QUERY:
        return [r for r in records if r.status not in HIDDEN_FROM_QUERIES]
    return [r for r in records if publishable(r, subject_kinds.get(r.subject_id, SubjectKind.PERSON))]


def visible_list_entries(entries: Iterable[ListEntry], *, viewer: Viewer) -> list[ListEntry]:
    # List entries are published by their listing authority; all viewers see them.
    return list(entries)

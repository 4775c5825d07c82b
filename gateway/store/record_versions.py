"""A record's versions and links: the old version kept when a record changes, and serious dishonesty
of an organisation linked to its legal representative.

Both follow every change of a record, whether a provider resubmits it or an objection corrects it
(``StoreWriter.supersede`` and ``StoreWriter.correct``), so they live apart from how the change was
computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.domain import LinkRole, reaches_legal_representative
from gateway.store.bulk_insert import insert_rows
from gateway.store.models import CreditRecord, CreditRecordVersion, Organization, RecordLink
from gateway.store.record_hashing import snapshot
from gateway.store.write_outcomes import chunks


def supersede(
    session: Session, rec: CreditRecord, values: dict[str, Any], *, reason: str, now: datetime
) -> None:
    """Keep the current version of ``rec`` in the history, then apply ``values`` as the next one."""
    session.add(
        CreditRecordVersion(
            record_id=rec.id,
            version=rec.version,
            snapshot=snapshot(rec),
            superseded_at=now,
            reason=reason,
        )
    )
    values = {k: v for k, v in values.items() if k != "received_at"} | {"version": rec.version + 1}
    session.execute(update(CreditRecord).where(CreditRecord.id == rec.id).values(**values))


def link_legal_representatives(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """A serious dishonesty of an organisation is recorded against its legal representative too
    (001 (十), 004 三(二)). ``rows`` are record column values with their ``id``; links already made
    are not made again."""
    candidates = [r for r in rows if reaches_legal_representative(r["category"], r["severity"], r["kept"])]
    if not candidates:
        return
    reps: dict[str, str] = {}
    subject_ids = sorted({r["subject_id"] for r in candidates})
    for chunk in chunks(subject_ids):
        stmt = select(Organization.subject_id, Organization.legal_representative_id).where(
            Organization.subject_id.in_(chunk), Organization.legal_representative_id.is_not(None)
        )
        reps.update({sid: rep for sid, rep in session.execute(stmt)})
    linked: set[tuple[str, str]] = set()
    for chunk in chunks(sorted(r["id"] for r in candidates)):
        stmt = select(RecordLink.record_id, RecordLink.subject_id).where(RecordLink.record_id.in_(chunk))
        linked.update((rid, sid) for rid, sid in session.execute(stmt))
    links = [
        {"record_id": r["id"], "subject_id": reps[r["subject_id"]], "role": LinkRole.LEGAL_REPRESENTATIVE}
        for r in candidates
        if r["subject_id"] in reps and (r["id"], reps[r["subject_id"]]) not in linked
    ]
    insert_rows(session, RecordLink, links)

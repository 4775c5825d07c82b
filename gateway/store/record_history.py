"""A record's history for the auditor: every version, who made it, when and why, and which fields it
changed (002 二(七)1: no fabrication, tampering or unlawful deletion without a trace).

Superseded versions are kept as snapshots (``gateway.store.record_versions``); each snapshot holds
``changed_by``, who made that version, and the snapshot of the version before says why the next was
made (``reason``: a resubmission, an objection's correction). The current version is the row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.clock import as_utc
from gateway.store.models import CreditRecord, CreditRecordVersion
from gateway.store.record_hashing import snapshot

FIRST_VERSION_REASON = "received"
# Columns every version differs in, or that say nothing about its content.
_NOT_CONTENT = frozenset({"version", "content_hash", "changed_by", "received_at", "received_within_deadline"})


@dataclass(frozen=True, slots=True)
class RecordVersionView:
    version: int
    made_by: str | None  # None: made before the gateway kept who made versions
    made_at: datetime | None
    reason: str  # why this version was made
    status: str
    content_hash: str
    changed_fields: tuple[str, ...]  # column names that differ from the version before
    current: bool


def record_history(session: Session, record_id: str) -> list[RecordVersionView] | None:
    """The versions of a record, oldest first; None for an unknown record."""
    record = session.get(CreditRecord, record_id)
    if record is None:
        return None
    old = session.scalars(
        select(CreditRecordVersion)
        .where(CreditRecordVersion.record_id == record_id)
        .order_by(CreditRecordVersion.version)
    ).all()
    snapshots: list[dict[str, Any]] = [v.snapshot for v in old] + [snapshot(record)]
    made_at: list[datetime | None] = [as_utc(record.received_at)] + [as_utc(v.superseded_at) for v in old]
    reasons = [FIRST_VERSION_REASON] + [v.reason for v in old]
    views: list[RecordVersionView] = []
    for index, snap in enumerate(snapshots):
        before = snapshots[index - 1] if index else None
        changed = (
            tuple(sorted(k for k in snap if k not in _NOT_CONTENT and before.get(k) != snap.get(k)))
            if before is not None
            else ()
        )
        views.append(
            RecordVersionView(
                version=int(snap.get("version") or index + 1),
                made_by=snap.get("changed_by"),
                made_at=made_at[index],
                reason=reasons[index],
                status=str(snap.get("status")),
                content_hash=str(snap.get("content_hash")),
                changed_fields=changed,
                current=index == len(snapshots) - 1,
            )
        )
    return views

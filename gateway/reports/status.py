"""A signed report's status after issue: valid, expired, superseded, or unknown.

A report is a snapshot; the data behind it may change. When a record it cited is corrected (a new
version, 000 政务 9: corrected on objection) or revoked, or a list entry it cited is revoked on
objection, the report no longer says what the gateway would say today: it is **superseded**, though
its signature still verifies. ``note_issue`` keeps what a report cited, in the request's unit of work;
``status_of`` compares it with the store. Answered to anyone who holds a serial (80 random bits: not
guessable), and says nothing of the content.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.clock import as_utc
from gateway.domain import ListStatus, RecordStatus
from gateway.store.models import CreditRecord, IssuedReport, ListEntry


class ReportState(StrEnum):
    VALID = "VALID"  # within its validity, nothing it cited has changed since
    SUPERSEDED = "SUPERSEDED"  # a cited record was corrected or revoked, or a cited entry revoked
    EXPIRED = "EXPIRED"  # past its validity period
    UNKNOWN = "UNKNOWN"  # no report with this serial (or with this payload hash) was issued here


@dataclass(frozen=True, slots=True)
class ReportStatus:
    state: ReportState
    issued_at: datetime | None = None
    valid_until: datetime | None = None
    changed: int = 0  # how many cited records and entries changed since issue


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from _walk(child)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def cited(sections: Mapping[str, Any]) -> dict[str, list[list[Any]]]:
    """The records (id, version) and list entries (id, status) a report's sections hold. Told apart
    by their fields: a record has ``documentNumber`` and ``version``, an entry ``listName``."""
    records, entries = set(), set()
    for item in _walk(dict(sections)):
        if (
            isinstance(item.get("id"), str)
            and isinstance(item.get("version"), int)
            and "documentNumber" in item
        ):
            records.add((item["id"], item["version"]))
        elif isinstance(item.get("id"), str) and "listName" in item and isinstance(item.get("status"), str):
            entries.add((item["id"], item["status"]))
    return {"records": sorted(map(list, records)), "entries": sorted(map(list, entries))}


def note_issue(
    session: Session,
    *,
    document: Mapping[str, Any],
    payload: bytes,
    issued_at: datetime,
    valid_until: datetime,
) -> None:
    session.add(
        IssuedReport(
            serial=document["serial"],
            subject_id=document["subject"]["id"],
            issued_at=issued_at,
            valid_until=valid_until,
            payload_sha256=hashlib.sha256(payload).hexdigest(),
            cited=json.dumps(cited(document["sections"]), separators=(",", ":"), sort_keys=True),
        )
    )


def _changed_records(session: Session, pairs: Iterable[list[Any]]) -> int:
    versions = {str(i): int(v) for i, v in pairs}
    if not versions:
        return 0
    rows = session.execute(
        select(CreditRecord.id, CreditRecord.version, CreditRecord.status).where(
            CreditRecord.id.in_(versions)
        )
    ).all()
    now = {r.id: (r.version, r.status) for r in rows}
    return sum(
        1 for i, v in versions.items() if i not in now or now[i][0] != v or now[i][1] is RecordStatus.REVOKED
    )


def _changed_entries(session: Session, pairs: Iterable[list[Any]]) -> int:
    ids = {str(i) for i, _ in pairs}
    if not ids:
        return 0
    rows = session.execute(select(ListEntry.id, ListEntry.status).where(ListEntry.id.in_(ids))).all()
    now = {r.id: r.status for r in rows}
    return sum(1 for i in ids if now.get(i) in (None, ListStatus.REVOKED))


def status_of(
    session: Session, serial: str, *, now: datetime, payload_sha256: str | None = None
) -> ReportStatus:
    row = session.get(IssuedReport, serial)
    if row is None or (payload_sha256 is not None and payload_sha256.lower() != row.payload_sha256):
        return ReportStatus(ReportState.UNKNOWN)
    citations = json.loads(row.cited)
    changed = _changed_records(session, citations.get("records", ())) + _changed_entries(
        session, citations.get("entries", ())
    )
    issued, until = as_utc(row.issued_at), as_utc(row.valid_until)
    if changed:
        state = ReportState.SUPERSEDED
    elif until <= now:
        state = ReportState.EXPIRED
    else:
        state = ReportState.VALID
    return ReportStatus(state, issued, until, changed)

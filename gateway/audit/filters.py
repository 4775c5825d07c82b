"""The one definition of "which events": a filter, its SQL conditions, and the opaque page cursor.

Used by the auditor API (``auditEvents``) and by ``credit-gateway audit export``, so that both select
exactly the same events for the same filter. A subject is found by identity number without keeping
the number: it becomes the blind-index pseudonym the log writes (``idn:``) and, when the store holds
that person, the person's subject id, and an event matches on either key.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, and_, exists, or_
from sqlalchemy.orm import Session

from gateway.audit.changes import ChangeKind, EventClass
from gateway.audit.events import KeyKind, RequestOutcome
from gateway.audit.models import AuditEvent, AuditEventKey
from gateway.audit.pseudonyms import Pseudonyms
from gateway.errors import InvalidInput
from gateway.identifiers import normalize_id_number
from gateway.keys.crypto import FieldCipher
from gateway.store import reads

_CURSOR = re.compile(r"^seq:(0|[1-9][0-9]{0,18})$")


@dataclass(frozen=True, slots=True)
class SubjectMatch:
    """What an identity number is in the log: its pseudonym, and its subject id when stored."""

    pseudonym: str
    subject_id: str | None


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Every criterion is optional; the ones given must all hold. ``start`` is inclusive, ``end``
    exclusive (UTC instants)."""

    caller_id: str | None = None
    organization: str | None = None
    role: str | None = None
    outcome: RequestOutcome | None = None
    operation: str | None = None  # a root field: person, organization, creditCheck, ...
    operation_name: str | None = None  # the client's name for its operation
    error_code: str | None = None
    subject: SubjectMatch | None = None
    start: datetime | None = None
    end: datetime | None = None
    event_class: EventClass | None = None  # requests (reads and refusals) apart from changes
    change: ChangeKind | None = None  # one kind of change event

    def __post_init__(self) -> None:
        # One naive and one aware bound would not even compare: both become UTC instants first.
        object.__setattr__(self, "start", utc(self.start))
        object.__setattr__(self, "end", utc(self.end))
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise InvalidInput("to", "must be later than from")


def resolve_subject(
    session: Session, cipher: FieldCipher, pseudonyms: Pseudonyms, id_number: str, *, field: str
) -> SubjectMatch:
    """The keys an identity number has in the log. A malformed number is INVALID_INPUT naming
    ``field``; the number itself goes no further than this function."""
    number = normalize_id_number(id_number, field=field)
    return SubjectMatch(pseudonyms.id_number(number), reads.find_person_id(session, cipher, number))


def utc(moment: datetime | None) -> datetime | None:
    """An instant in UTC; a naive value is taken as UTC (SQLite compares the stored UTC digits)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _has_key(kind: KeyKind, value: str) -> ColumnElement[bool]:
    return exists().where(
        AuditEventKey.seq == AuditEvent.seq, AuditEventKey.kind == kind.value, AuditEventKey.value == value
    )


def conditions(f: EventFilter) -> list[ColumnElement[bool]]:
    """SQL conditions on ``audit_events`` selecting the filter's events."""
    out: list[ColumnElement[bool]] = []
    if f.caller_id is not None:
        out.append(AuditEvent.caller_id == f.caller_id)
    if f.organization is not None:
        out.append(AuditEvent.organization == f.organization.strip().upper())
    if f.role is not None:
        out.append(AuditEvent.role == f.role.strip().lower())
    if f.outcome is not None:
        out.append(AuditEvent.outcome == f.outcome.value)
    if f.operation_name is not None:
        out.append(AuditEvent.operation_name == f.operation_name)
    if f.operation is not None:
        out.append(_has_key(KeyKind.FIELD, f.operation))
    if f.error_code is not None:
        out.append(_has_key(KeyKind.CODE, f.error_code))
    if f.event_class is not None:
        # A change event is exactly one with a ``change`` key (gateway.audit.changes).
        is_change = exists().where(
            AuditEventKey.seq == AuditEvent.seq, AuditEventKey.kind == KeyKind.CHANGE.value
        )
        out.append(is_change if f.event_class is EventClass.CHANGE else ~is_change)
    if f.change is not None:
        out.append(_has_key(KeyKind.CHANGE, f.change.value))
    if f.subject is not None:
        keys = [
            and_(AuditEventKey.kind == KeyKind.PSEUDONYM.value, AuditEventKey.value == f.subject.pseudonym)
        ]
        if f.subject.subject_id is not None:
            # Events that returned the person's data, and changes made to it.
            keys.append(
                and_(
                    AuditEventKey.kind.in_((KeyKind.SUBJECT.value, KeyKind.CHANGED.value)),
                    AuditEventKey.value == f.subject.subject_id,
                )
            )
        out.append(exists().where(AuditEventKey.seq == AuditEvent.seq, or_(*keys)))
    if f.start is not None:
        out.append(AuditEvent.time >= f.start)
    if f.end is not None:
        out.append(AuditEvent.time < f.end)
    return out


def encode_cursor(seq: int) -> str:
    """An opaque cursor after event ``seq`` (callers must not build them; the form may change)."""
    return base64.urlsafe_b64encode(f"seq:{seq}".encode("ascii")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, *, field: str = "after") -> int:
    """The sequence number a cursor of ``encode_cursor`` stands for; anything else is INVALID_INPUT."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (ValueError, UnicodeError, binascii.Error):
        raise InvalidInput(field, "not a cursor of this list") from None
    match = _CURSOR.match(text)
    if match is None:
        raise InvalidInput(field, "not a cursor of this list")
    return int(match.group(1))

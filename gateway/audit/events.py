"""The audit event: its document (version 1), and what the database indexes from it.

An event is a JSON object (docs/audit.md, "The event"); its canonical bytes
(``gateway.audit.canonical``) are the leaf of the tree. Indexed columns and keys are *derived* from
the document by ``project``, both when an event is written and when ``audit verify`` checks it, so a
row whose columns say something other than its signed bytes is caught.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from gateway.audit.canonical import format_time, parse_time

EVENT_VERSION = 1
MAX_NAME = 200  # indexed operation names are cut here; the event keeps the whole name
MAX_KEY = 120


class RequestOutcome(StrEnum):
    """How the gateway answered one request or operation, as its audit event records it (not the
    write outcome of a stored row)."""

    ANSWERED = "ANSWERED"  # executed, no error
    PARTIAL = "PARTIAL"  # executed with data, and some fields or operations refused
    REFUSED = "REFUSED"  # refused on purpose (body, token, rate, limits, validation, role, consent)
    FAILED = "FAILED"  # an internal error
    ABANDONED = "ABANDONED"  # the client went away before its request was read whole


class KeyKind(StrEnum):
    """What an event is indexed by besides its columns (the ``audit_event_keys`` table)."""

    SUBJECT = "subject"  # a subject whose data the operation returned (pseudonymous subject id)
    PSEUDONYM = "pseudonym"  # a blind-index pseudonym of an identity value in the request
    FIELD = "field"  # a root field of the operation (``person``, ``organization``, ...)
    CODE = "code"  # an error code
    CHANGE = "change"  # a change event's kind (``records.submitted``, ``list.listed``, ...)
    CHANGED = "changed"  # a subject a change event changed (pseudonymous subject id)
    BASIS = "basis"  # a legal basis a lookup without consent stated (``law|article|reference``)
    NOTICE = "notice"  # when the persons looked up may see the event (``format_time``; see history)
    REPORT = "report"  # the serial of a credit report the operation issued (gateway.api.reports)


_FAILURES = frozenset({"INTERNAL_ERROR", "DATABASE_UNAVAILABLE", "DATABASE_TIMEOUT"})


def outcome_of(*, executed: bool, has_data: bool, codes: Sequence[str]) -> RequestOutcome:
    if _FAILURES.intersection(codes):  # the gateway or its database failed, not the caller
        return RequestOutcome.FAILED
    if not codes:
        return RequestOutcome.ANSWERED if executed else RequestOutcome.REFUSED
    return RequestOutcome.PARTIAL if executed and has_data else RequestOutcome.REFUSED


@dataclass(frozen=True, slots=True)
class CallerFacts:
    """Who called, as the event records it (never the token)."""

    id: str | None = None
    role: str | None = None
    organization: str | None = None
    agency_kind: str | None = None
    person: str | None = None  # an individual's subject id: pseudonymous
    issuer: str | None = None


def draft_document(
    *,
    time: datetime,
    request_id: str,
    batch_index: int,
    batch_size: int,
    caller: CallerFacts,
    client: str | None,
    operation_name: str | None = None,
    operation_type: str | None = None,
    document_sha256: str | None = None,
    root_fields: Iterable[str] = (),
    variables: Any = None,
    pseudonyms: Iterable[str] = (),
    subjects: Iterable[str] = (),
    field_outcomes: Mapping[tuple[str, str], int] | None = None,
    rules: Mapping[str, str] | None = None,
    consent_id: str | None = None,
    purpose: str | None = None,
    outcome: RequestOutcome,
    errors: Iterable[str] = (),
    http_status: int,
    duration_us: int,
    legal_bases: Iterable[str] = (),
    notice_after: datetime | None = None,
    trusted_document: str | None = None,
    reports: Iterable[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """An event document without its sequence number (the log assigns it when appending).

    A lookup without consent adds ``legal_bases`` (the bases stated, ``law|article|reference``) and,
    when the policy delays the person's notice, ``notice_after`` (one instant, in a list so that it is
    indexed as the other keys are); other events have neither member, as before. An operation that
    ran a registered document by its id adds ``trusted_document`` (``sha256:<hex>``); one that
    issued credit reports adds ``reports`` (each report's serial, subject, the sections disclosed, not
    disclosed and withheld) and ``report_serials``, the serials indexed as keys."""
    fields: dict[str, dict[str, int]] = {"whole": {}, "masked": {}, "denied": {}}
    for (field, effect), count in sorted((field_outcomes or {}).items()):
        fields[effect.lower()][field] = count
    document: dict[str, Any] = {
        "v": EVENT_VERSION,
        "time": format_time(time),
        "request": request_id,
        "batch_index": batch_index,
        "batch_size": batch_size,
        "caller_id": caller.id,
        "role": caller.role,
        "organization": caller.organization,
        "agency_kind": caller.agency_kind,
        "caller_person": caller.person,
        "issuer": caller.issuer,
        "client": client,
        "operation_name": operation_name,
        "operation_type": operation_type,
        "document_sha256": document_sha256,
        "root_fields": sorted(set(root_fields)),
        "variables": variables,
        "pseudonyms": sorted(set(pseudonyms)),
        "subjects": sorted(set(subjects)),
        "fields": fields,
        "rules": dict(sorted((rules or {}).items())),
        "consent_id": consent_id,
        "purpose": purpose,
        "outcome": outcome.value,
        "errors": sorted(set(errors)),
        "http_status": http_status,
        "duration_us": duration_us,
    }
    bases = sorted(set(legal_bases))
    if bases:
        document["legal_bases"] = bases
    if notice_after is not None:
        document["notice_after"] = [format_time(notice_after)]
    if trusted_document is not None:
        document["trusted_document"] = trusted_document
    issued = [dict(r) for r in reports]
    if issued:
        document["reports"] = issued
        document["report_serials"] = sorted(str(r["serial"]) for r in issued)
    return document


@dataclass(frozen=True, slots=True)
class Projection:
    """The indexed columns and keys of one event, as derived from its document."""

    time: datetime
    caller_id: str | None
    role: str | None
    organization: str | None
    caller_person: str | None
    operation_name: str | None
    outcome: str
    consent_id: str | None
    purpose: str | None
    keys: frozenset[tuple[str, str]]

    def columns(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "caller_id": self.caller_id,
            "role": self.role,
            "organization": self.organization,
            "caller_person": self.caller_person,
            "operation_name": self.operation_name,
            "outcome": self.outcome,
            "consent_id": self.consent_id,
            "purpose": self.purpose,
        }


def _cut(value: Any, limit: int) -> str | None:
    return None if value is None else str(value)[:limit]


# The text columns an event is indexed by, each cut to its column's length, and the lists whose
# values become its keys: read by ``project`` and by verification's page check (audit/verify_chunk.py).
CUT_COLUMNS: tuple[tuple[str, int], ...] = (
    ("caller_id", 256),
    ("role", 20),
    ("organization", 18),
    ("caller_person", 32),
    ("operation_name", MAX_NAME),
    ("consent_id", 64),
    ("purpose", 40),
)
KEY_LISTS: tuple[tuple[KeyKind, str], ...] = (
    (KeyKind.SUBJECT, "subjects"),
    (KeyKind.PSEUDONYM, "pseudonyms"),
    (KeyKind.FIELD, "root_fields"),
    (KeyKind.CODE, "errors"),
    (KeyKind.CHANGED, "changed"),
    (KeyKind.BASIS, "legal_bases"),
    (KeyKind.NOTICE, "notice_after"),
    (KeyKind.REPORT, "report_serials"),
)


def project(document: Mapping[str, Any]) -> Projection:
    keys: set[tuple[str, str]] = set()
    for kind, name in KEY_LISTS:
        keys.update((kind.value, str(v)[:MAX_KEY]) for v in document.get(name) or ())
    change = document.get("change")
    if change is not None:  # a change event (gateway.audit.changes): its kind is a key of its own
        keys.add((KeyKind.CHANGE.value, str(change)[:MAX_KEY]))
    return Projection(
        time=parse_time(document["time"]),
        outcome=str(document["outcome"]),
        keys=frozenset(keys),
        **{name: _cut(document.get(name), limit) for name, limit in CUT_COLUMNS},
    )


_HEX = re.compile(r"^[0-9a-f]+$")


def is_subject_id(value: str) -> bool:
    return len(value) == 32 and bool(_HEX.match(value))

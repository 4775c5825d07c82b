"""The report document: its sections, its members, and the exact bytes that are signed.

A report is a compact JWS (RFC 7515) whose payload is the report document below, and whose
protected header is ``{"alg": "Ed25519", "kid": "report-<n>", "typ": "credit-report+jws"}``. The
bytes signed are the JWS signing input, ``ASCII(BASE64URL(header) || "." || BASE64URL(payload))``;
the payload is the document as UTF-8 JSON with sorted keys and no whitespace (``canonical_bytes``).
A verifier never re-serialises anything: it checks the signature over the bytes it received and only
then reads the JSON (docs/reports.md, "Exact bytes signed").

Selective disclosure is by signed lists (docs/reports.md, "Selective disclosure"): ``sections`` holds
the sections the requester chose, ``not_disclosed`` every other section of the subject's kind, and
``withheld`` what the policy kept from this requester inside the chosen ones. A verifier shows a
not-disclosed section as "not disclosed", never as empty.

Pure: no database, no web framework.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from gateway.domain import SubjectKind

DOCUMENT_TYPE = "credit-report"
DOCUMENT_VERSION = 1
JWS_TYPE = "credit-report+jws"
ISSUER = "credit-gateway"


class ReportSection(StrEnum):
    """What a report can hold; each subject kind has its own list (``SECTIONS``)."""

    IDENTITY = "IDENTITY"  # the subject's own fields (name, code, address, ...)
    RECORDS = "RECORDS"  # credit records in force against the subject
    LINKED_RECORDS = "LINKED_RECORDS"  # a person's: records reaching them as legal representative
    LIST_ENTRIES = "LIST_ENTRIES"  # red and black list entries, with the records that justify them
    LEGAL_REPRESENTATIVE = "LEGAL_REPRESENTATIVE"  # an organisation's: its legal representative


SECTIONS: Mapping[SubjectKind, tuple[ReportSection, ...]] = {
    SubjectKind.PERSON: (
        ReportSection.IDENTITY,
        ReportSection.RECORDS,
        ReportSection.LINKED_RECORDS,
        ReportSection.LIST_ENTRIES,
    ),
    SubjectKind.ORGANIZATION: (
        ReportSection.IDENTITY,
        ReportSection.RECORDS,
        ReportSection.LIST_ENTRIES,
        ReportSection.LEGAL_REPRESENTATIVE,
    ),
    SubjectKind.GOVERNMENT_AGENCY: (
        ReportSection.IDENTITY,
        ReportSection.RECORDS,
        ReportSection.LIST_ENTRIES,
        ReportSection.LEGAL_REPRESENTATIVE,
    ),
}


def new_serial(now: datetime) -> str:
    """``CR-<yyyymmdd>-<20 hex>``: the day for people, 80 random bits so serials are never guessed."""
    return f"CR-{now.astimezone(UTC):%Y%m%d}-{secrets.token_hex(10).upper()}"


def canonical_bytes(document: Mapping[str, Any]) -> bytes:
    """The payload bytes: UTF-8 JSON, keys sorted, no insignificant whitespace, non-ASCII as is."""
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


@dataclass(frozen=True, slots=True)
class Requester:
    """Who asked, as the report names them: never a token, never a person's identity number."""

    role: str
    organization: str | None = None  # the requesting organisation's credit code
    own_report: bool = False  # the subject asked for its own report

    def as_json(self) -> dict[str, Any]:
        return {"role": self.role, "organization": self.organization, "self": self.own_report}


def report_document(
    *,
    serial: str,
    issued_at: datetime,
    valid_for: timedelta,
    purpose: str,
    requester: Requester,
    subject_kind: SubjectKind,
    subject_id: str,
    contents: Mapping[ReportSection, Any],
    chosen: Iterable[ReportSection],
    withheld: Iterable[str],
) -> dict[str, Any]:
    """The document to sign. ``contents`` holds what the requester's read returned for each chosen
    section the policy let through; a chosen section missing from it is withheld (named in
    ``withheld``); every section of the kind not chosen is listed as not disclosed."""
    chosen_set = set(chosen)
    issued = int(issued_at.timestamp())
    return {
        "typ": DOCUMENT_TYPE,
        "v": DOCUMENT_VERSION,
        "iss": ISSUER,
        "serial": serial,
        "iat": issued,
        "exp": issued + int(valid_for.total_seconds()),
        "purpose": purpose,
        "requester": requester.as_json(),
        "subject": {"kind": subject_kind.value, "id": subject_id},
        "sections": {s.value: contents[s] for s in SECTIONS[subject_kind] if s in contents},
        "not_disclosed": [s.value for s in SECTIONS[subject_kind] if s not in chosen_set],
        "withheld": sorted(set(withheld)),
    }

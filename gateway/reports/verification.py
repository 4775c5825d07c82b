"""Checking a signed credit report offline: the JWS, the key it names, the signature, the validity.

What ``credit-gateway report verify`` runs, with only a JWKS (the published ``/keys/reports.jwks``, or
a file). The steps and their codes are the ones docs/reports.md gives third parties, and
``scripts/verify_report.py`` repeats them with ``cryptography`` alone:

1. three base64url parts, a protected header of exactly ``alg`` = ``Ed25519``, ``kid`` and ``typ`` =
   ``credit-report+jws`` (``REPORT_MALFORMED``);
2. the ``kid`` is a key of the JWKS (``REPORT_KEY_UNKNOWN``);
3. Ed25519 over the signing input as received (``REPORT_SIGNATURE_INVALID``);
4. only then the payload is read as the report document (``REPORT_MALFORMED``);
5. ``exp`` is after now (``REPORT_EXPIRED``: checked last, so a forged expired report is called
   forged).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from gateway import strict_json
from gateway.domain import SubjectKind
from gateway.errors import ReportExpired, ReportKeyUnknown, ReportMalformed, ReportSignatureInvalid
from gateway.keys.jwks import JWS_ALGORITHM, JWS_REGISTRY
from gateway.reports.document import DOCUMENT_TYPE, DOCUMENT_VERSION, JWS_TYPE, SECTIONS, ReportSection

MAX_REPORT_BYTES = 4 * 1024 * 1024
_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")
_HEADER_MEMBERS = frozenset({"alg", "kid", "typ"})


@dataclass(frozen=True, slots=True)
class VerifiedReport:
    kid: str
    document: dict[str, Any]

    @property
    def serial(self) -> str:
        return str(self.document["serial"])

    def section_states(self) -> list[tuple[str, str]]:
        """Each section of the subject's kind with what the report says of it: ``disclosed``,
        ``not disclosed`` (the requester left it out) or ``withheld`` (the policy kept it from the
        requester). Never "none": an absent section is not an empty one."""
        kind = SubjectKind(self.document["subject"]["kind"])
        sections, left_out = self.document["sections"], set(self.document["not_disclosed"])
        states = []
        for section in SECTIONS[kind]:
            if section.value in sections:
                states.append((section.value, "disclosed"))
            elif section.value in left_out:
                states.append((section.value, "not disclosed"))
            else:
                states.append((section.value, "withheld"))
        return states


def _b64decode(part: str) -> bytes:
    if not _B64URL.match(part) or len(part) % 4 == 1:
        raise ReportMalformed("a part of the report is not base64url")
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise ReportMalformed("a part of the report is not base64url") from None


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    """Strict JSON (``gateway.strict_json``): a member named twice would let two verifiers read one
    report two ways, so it is malformed."""
    try:
        value = strict_json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ReportMalformed(f"the report's {what} is not UTF-8 JSON") from None
    if not isinstance(value, dict):
        raise ReportMalformed(f"the report's {what} is not a JSON object")
    return value


def verify_report(text: str, keys: Mapping[str, OKPKey], *, now: datetime) -> VerifiedReport:
    """The verified report, or a ``ReportError`` with its stable code (steps in the module doc)."""
    token = text.strip()
    if len(token) > MAX_REPORT_BYTES or token.count(".") != 2:
        raise ReportMalformed("a report is a compact JWS: three base64url parts joined by dots")
    header_part, payload_part, signature_part = token.split(".")
    header = _json_object(_b64decode(header_part), "header")
    for part in (payload_part, signature_part):
        _b64decode(part)  # refused as malformed here, not as a bad signature below
    if (
        set(header) != _HEADER_MEMBERS
        or header["alg"] != JWS_ALGORITHM
        or header["typ"] != JWS_TYPE
        or not isinstance(header["kid"], str)
    ):
        raise ReportMalformed('the report header must be exactly alg "Ed25519", a kid and typ')
    key = keys.get(header["kid"])
    if key is None:
        raise ReportKeyUnknown(f"no key {header['kid']!r} in the JWKS used to verify")
    try:
        verified = jws.deserialize_compact(token, key, registry=JWS_REGISTRY)
    except JoseError:
        raise ReportSignatureInvalid("the report's signature does not verify") from None
    document = _json_object(verified.payload, "payload")
    _check_document(document)
    if document["exp"] <= now.astimezone(UTC).timestamp():
        raise ReportExpired(f"report {document['serial']} expired")
    return VerifiedReport(kid=header["kid"], document=document)


def _check_document(document: dict[str, Any]) -> None:
    """The members a verifier relies on, with their types; anything else is malformed."""
    subject = document.get("subject")
    kind = subject.get("kind") if isinstance(subject, dict) else None
    if kind not in {k.value for k in SECTIONS}:
        raise ReportMalformed("the report names no subject kind")
    allowed = {s.value for s in SECTIONS[SubjectKind(kind)]}
    sections, left_out = document.get("sections"), document.get("not_disclosed")
    ok = (
        document.get("typ") == DOCUMENT_TYPE
        and document.get("v") == DOCUMENT_VERSION
        and isinstance(document.get("serial"), str)
        and all(type(document.get(n)) is int for n in ("iat", "exp"))
        and isinstance(document.get("purpose"), str)
        and isinstance(document.get("requester"), dict)
        and isinstance(sections, dict)
        and isinstance(left_out, list)
        and isinstance(document.get("withheld"), list)
        and set(sections) <= allowed
        and set(left_out) <= allowed
        and not set(sections) & set(left_out)
    )
    if not ok:
        raise ReportMalformed("the report document lacks a member or has one of the wrong type")


__all__ = ["ReportSection", "VerifiedReport", "verify_report"]

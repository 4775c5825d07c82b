#!/usr/bin/env python3
"""Verify a credit-gateway credit report offline, with Python's standard library and ``cryptography``.

For third parties (a tender office, a landlord) who do not run the gateway: docs/reports.md
describes the format; this script is that description as code, and does not import the gateway.

    python verify_report.py REPORT_FILE JWKS_FILE

REPORT_FILE holds the report's compact JWS (or JSON with a "jws" member); JWKS_FILE the published
report keys (``/keys/reports.jwks``). Exit 0 and a summary when the report verifies; exit 1 and one of
REPORT_MALFORMED, REPORT_KEY_UNKNOWN, REPORT_SIGNATURE_INVALID, REPORT_EXPIRED otherwise.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import sys
import time
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

SECTIONS = {
    "PERSON": ["IDENTITY", "RECORDS", "LINKED_RECORDS", "LIST_ENTRIES"],
    "ORGANIZATION": ["IDENTITY", "RECORDS", "LIST_ENTRIES", "LEGAL_REPRESENTATIVE"],
    "GOVERNMENT_AGENCY": ["IDENTITY", "RECORDS", "LIST_ENTRIES", "LEGAL_REPRESENTATIVE"],
}
_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")


class ReportError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def b64url(part: str) -> bytes:
    if not _B64URL.match(part) or len(part) % 4 == 1:
        raise ReportError("REPORT_MALFORMED", "a part is not base64url")
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise ReportError("REPORT_MALFORMED", "a part is not base64url") from None


def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A member named twice could be read two ways: refused."""
    if len({k for k, _ in pairs}) != len(pairs):
        raise ValueError("a member name appears twice")
    return dict(pairs)


def json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(raw.decode("utf-8"), object_pairs_hook=unique)
    except (UnicodeDecodeError, ValueError):
        raise ReportError("REPORT_MALFORMED", f"the {what} is not UTF-8 JSON") from None
    if not isinstance(value, dict):
        raise ReportError("REPORT_MALFORMED", f"the {what} is not a JSON object")
    return value


def public_keys(jwks: Any) -> dict[str, Ed25519PublicKey]:
    """Ed25519 signature keys by kid; other keys are skipped (RFC 7517 section 5)."""
    keys = {}
    for jwk in jwks.get("keys", []) if isinstance(jwks, dict) else []:
        if isinstance(jwk, dict) and jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
            if jwk.get("alg", "Ed25519") == "Ed25519" and isinstance(jwk.get("kid"), str):
                keys[jwk["kid"]] = Ed25519PublicKey.from_public_bytes(b64url(str(jwk.get("x", ""))))
    return keys


def verify(token: str, keys: dict[str, Ed25519PublicKey], now: float) -> dict[str, Any]:
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise ReportError("REPORT_MALFORMED", "not a compact JWS")
    header = json_object(b64url(parts[0]), "header")
    payload, signature = b64url(parts[1]), b64url(parts[2])
    if (
        set(header) != {"alg", "kid", "typ"}
        or header["alg"] != "Ed25519"
        or header["typ"] != "credit-report+jws"
    ):
        raise ReportError("REPORT_MALFORMED", "unexpected protected header")
    key = keys.get(header["kid"]) if isinstance(header["kid"], str) else None
    if key is None:
        raise ReportError("REPORT_KEY_UNKNOWN", f"no key {header['kid']!r} in the JWKS")
    signing_input = (parts[0] + "." + parts[1]).encode("ascii")  # the exact bytes signed
    try:
        key.verify(signature, signing_input)
    except InvalidSignature:
        raise ReportError("REPORT_SIGNATURE_INVALID", "the signature does not verify") from None
    document = json_object(payload, "payload")
    kind = document.get("subject", {}).get("kind") if isinstance(document.get("subject"), dict) else None
    if (
        document.get("typ") != "credit-report"
        or document.get("v") != 1
        or kind not in SECTIONS
        or type(document.get("exp")) is not int
        or not isinstance(document.get("sections"), dict)
        or not isinstance(document.get("not_disclosed"), list)
    ):
        raise ReportError("REPORT_MALFORMED", "not a credit report document")
    if document["exp"] <= now:
        raise ReportError("REPORT_EXPIRED", f"report {document.get('serial')} has expired")
    return document


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[3].strip(), file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as fh:
        text = fh.read().strip()
    with open(argv[2], encoding="utf-8") as fh:
        keys = public_keys(json.load(fh))
    try:
        token = json.loads(text)["jws"] if text.startswith("{") else text
        document = verify(token, keys, time.time())
    except ReportError as exc:
        print(f"error [{exc.code}]: {exc}")
        return 1
    except (ValueError, KeyError, TypeError):
        print("error [REPORT_MALFORMED]: the file holds no report")
        return 1
    print(f"report {document['serial']} verifies; purpose {document['purpose']}")
    for section in SECTIONS[document["subject"]["kind"]]:
        if section in document["sections"]:
            state = "disclosed"
        elif section in document["not_disclosed"]:
            state = "not disclosed"
        else:
            state = "withheld"
        print(f"  {section}: {state}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

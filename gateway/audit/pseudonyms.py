"""Blind-index pseudonyms of identity values, as the audit log writes them.

``idn:`` identity number, ``tel:`` phone, ``ucc:`` an individual business's credit code: the blind
index of the normalised value under the audit pseudonym key (``FieldCipher.pseudonym_index``), so an
auditor holding an identity number finds its events by computing the same index, and nobody without
the key can (docs/keys.md, "Audit pseudonyms"). ``tok:`` consent or caller token: 128 bits of
HMAC-SHA256 under the same key with its own domain label; the token itself is never kept.

The pseudonym key is not the store's index key: the log is append-only and signed, so what it holds
can never be recomputed, while the index key must be rotatable (``keys rotate-index``). A keyring
older than the pseudonym key uses its index key, as its log's existing pseudonyms did.

The index is written with the letters ``a``-``p`` for the sixteen nibble values (``a`` = 0), never
digits: a pseudonym can then never look like an identity number or a phone to the redaction that
runs over the text around it.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from gateway.errors import InvalidInput
from gateway.identifiers import normalize_credit_code
from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import SecretBytes

PREFIXES = {"id_number": "idn", "phone": "tel", "credit_code": "ucc", "token": "tok"}
_NIBBLES = "abcdefghijklmnop"
_TOKEN_BYTES = 16
PSEUDONYM = re.compile(r"^(idn|tel|ucc|tok):[a-p]+$")


def letters(raw: bytes) -> str:
    return "".join(_NIBBLES[b >> 4] + _NIBBLES[b & 15] for b in raw)


class Pseudonyms:
    """``pseudonym(kind, value)``; one per keyring, safe to share between threads."""

    def __init__(self, cipher: FieldCipher, pseudonym_key: SecretBytes) -> None:
        self._cipher = cipher
        token_key = hmac.new(pseudonym_key.reveal(), b"credit-gateway/audit-token", hashlib.sha256)
        self._token_key = token_key.digest()

    def __repr__(self) -> str:
        return "Pseudonyms()"

    def __call__(self, kind: str, value: str) -> str:
        return self.pseudonym(kind, value)

    def pseudonym(self, kind: str, value: str) -> str:
        if PSEUDONYM.match(value):
            return value  # already one (a value redacted once is never redacted again)
        if kind in ("id_number", "phone"):
            return person_pseudonym(self._cipher, kind, value)
        if kind == "credit_code":
            try:
                code = normalize_credit_code(value)
            except InvalidInput:
                code = None
            if code is not None and not code.startswith("92"):
                return code  # organisations' codes are public (000 双公示 二(四)2)
            return f"ucc:{letters(self._cipher.pseudonym_index('credit_code', value.strip().upper()))}"
        if kind == "token":
            mac = hmac.new(self._token_key, value.strip().encode("utf-8", "replace"), hashlib.sha256)
            return f"tok:{letters(mac.digest()[:_TOKEN_BYTES])}"
        raise ValueError(f"no pseudonym kind {kind!r}")

    def id_number(self, value: str) -> str:
        return self.pseudonym("id_number", value)


def person_pseudonym(cipher: FieldCipher, kind: str, value: str) -> str:
    """The ``idn:`` or ``tel:`` pseudonym of a person's identity number or phone: needs the cipher
    only, so a person's own pseudonyms can be recognised without the token key."""
    if kind == "id_number":
        return f"idn:{letters(cipher.pseudonym_index('id_number', value.strip().upper()))}"
    if kind == "phone":
        return f"tel:{letters(cipher.pseudonym_index('phone', _phone(value)))}"
    raise ValueError(f"no person pseudonym kind {kind!r}")


def _phone(raw: str) -> str:
    digits = re.sub(r"[\s-]", "", raw)
    return digits[3:] if digits.startswith("+86") else digits

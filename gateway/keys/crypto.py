"""Encryption of identity fields and their blind indexes.

Cipher: AES-256-GCM with a random 96-bit nonce. We chose it over AES-GCM-SIV because it is the
approved AEAD in every government crypto profile we may be audited against, it is hardware-accelerated
everywhere, and nonce misuse is not a risk here: nonces come from the OS CSPRNG and rotation keeps
each key far below the 2^32 encryptions NIST SP 800-38D allows with random nonces.

Associated data binds a ciphertext to its table, column, row and key version, so a value copied to
another row or column, or relabelled with another key version, does not decrypt.

Stored format: ``0x01 || key version (2 bytes, big-endian) || nonce (12) || ciphertext || tag (16)``.

Blind index: HMAC-SHA256 under its own key (never a data key), over a domain label and the
normalised value, truncated per field (see ``BLIND_INDEX_BITS``). Truncation follows the CipherSweet
planner's reasoning: the index must narrow a lookup to a handful of rows (candidates are then
decrypted and compared), while each index value should stand for many possible plaintexts, so that
whoever steals the index key together with the data still cannot read identities off the index alone.

Index keys have versions. During an index rotation the cipher holds the current key and the one it
replaces: writes use the current key, lookups ask for the index under each (``blind_indexes``) and
decrypt the candidates, so a row counts as found only if it really holds the value asked for. Audit
pseudonyms are the same truncated HMAC under the audit pseudonym key (``pseudonym_index``), which
index rotation leaves alone.
"""

from __future__ import annotations

import hmac
import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gateway.errors import DecryptionFailed, KeyringError
from gateway.keys.keyring import Keyring

FORMAT_VERSION = 1
_HEADER = struct.Struct(">BH")
NONCE_BYTES = 12

# Bits kept per blind index. Identity numbers: ~1e11 well-formed values (region x date x sequence),
# so 32 bits leave ~25 plausible numbers per index value, and ~2e-4 false candidates per lookup at
# one million people. Phones: ~1e9 plausible mobile numbers, 28 bits leave ~4 per value. Credit codes
# of individual businesses: large space, 32 bits as for identity numbers.
BLIND_INDEX_BITS: dict[str, int] = {"id_number": 32, "phone": 28, "credit_code": 32}


class FieldCipher:
    """Encrypts and decrypts identity fields; one instance per keyring, safe to share."""

    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring
        self._aead = {version: AESGCM(key.reveal()) for version, key in keyring.data_keys.items()}
        self._index_key = keyring.index_key.reveal()
        self._index_keys = tuple(key.reveal() for key in keyring.index_keys.values())  # current first
        self._pseudonym_key = keyring.pseudonym_key.reveal()

    def __repr__(self) -> str:
        return f"FieldCipher(versions={sorted(self._aead)})"

    @property
    def current_version(self) -> int:
        return self._keyring.current_version

    def encrypt(
        self, plaintext: str, *, table: str, column: str, row: str, version: int | None = None
    ) -> bytes:
        header, aead = self._sealer(version)
        nonce = os.urandom(NONCE_BYTES)
        sealed = aead.encrypt(nonce, plaintext.encode("utf-8"), _aad(header, table, column, row))
        return header + nonce + sealed

    def encrypt_row(
        self, plaintexts: dict[str, str | None], *, table: str, row: str, version: int | None = None
    ) -> dict[str, bytes | None]:
        """``encrypt`` of each column's value (None stays None), the same stored format, each value
        under its own random nonce. The nonces of the row come from one read of the OS CSPRNG instead
        of one per value: bulk writes encrypt several fields of every person. Nothing is kept
        between calls, so a forked process can never repeat a nonce drawn here."""
        header, aead = self._sealer(version)
        nonces = os.urandom(NONCE_BYTES * len(plaintexts))
        sealed: dict[str, bytes | None] = {}
        for n, (column, plaintext) in enumerate(plaintexts.items()):
            if plaintext is None:
                sealed[column] = None
                continue
            nonce = nonces[n * NONCE_BYTES : (n + 1) * NONCE_BYTES]
            aad = _aad(header, table, column, row)
            sealed[column] = header + nonce + aead.encrypt(nonce, plaintext.encode("utf-8"), aad)
        return sealed

    def _sealer(self, version: int | None) -> tuple[bytes, AESGCM]:
        """The stored header and the AEAD of a data key version (the current one by default)."""
        version = self.current_version if version is None else version
        try:
            aead = self._aead[version]
        except KeyError:
            raise KeyringError(f"the keyring has no data key version {version}") from None
        return _HEADER.pack(FORMAT_VERSION, version), aead

    def decrypt(self, blob: bytes, *, table: str, column: str, row: str) -> str:
        if len(blob) < _HEADER.size + NONCE_BYTES + 16:
            raise DecryptionFailed(f"{table}.{column}: stored value is truncated")
        header = bytes(blob[: _HEADER.size])
        fmt, version = _HEADER.unpack(header)
        if fmt != FORMAT_VERSION:
            raise DecryptionFailed(f"{table}.{column}: unknown ciphertext format {fmt}")
        aead = self._aead.get(version)
        if aead is None:
            raise KeyringError(f"the keyring has no data key version {version}")
        nonce = bytes(blob[_HEADER.size : _HEADER.size + NONCE_BYTES])
        try:
            plain = aead.decrypt(
                nonce, bytes(blob[_HEADER.size + NONCE_BYTES :]), _aad(header, table, column, row)
            )
        except InvalidTag:
            raise DecryptionFailed(f"{table}.{column}: value does not authenticate for this row") from None
        return plain.decode("utf-8")

    @property
    def index_version(self) -> int:
        """The version of the index key new rows are filed under (their ``index_version``)."""
        return self._keyring.index_version

    def blind_index(self, kind: str, normalized_value: str) -> bytes:
        """Truncated HMAC of a normalised value under the current index key; ``kind`` separates the
        domains of different fields."""
        return _truncated_hmac(self._index_key, kind, normalized_value)

    def blind_indexes(self, kind: str, normalized_value: str) -> tuple[bytes, ...]:
        """The value's index under every index key held, current first: what a lookup must ask for
        while an index rotation runs (one index at other times). Equal indexes are given once."""
        current = self.blind_index(kind, normalized_value)
        return (current, *self.previous_blind_indexes(kind, normalized_value, current))

    def previous_blind_indexes(
        self, kind: str, normalized_value: str, current: bytes | None = None
    ) -> tuple[bytes, ...]:
        """The value's index under the previous index key while a rotation runs, else nothing;
        ``current`` (the index under the current key, when known) is left out if they coincide."""
        older = (_truncated_hmac(key, kind, normalized_value) for key in self._index_keys[1:])
        return tuple(i for i in older if i != current)

    def pseudonym_index(self, kind: str, normalized_value: str) -> bytes:
        """The same truncated HMAC under the audit pseudonym key (``gateway.audit.pseudonyms``)."""
        return _truncated_hmac(self._pseudonym_key, kind, normalized_value)


def key_version_of(blob: bytes) -> int:
    """The data key version a stored value was sealed with."""
    return _HEADER.unpack(bytes(blob[: _HEADER.size]))[1]


def _aad(header: bytes, table: str, column: str, row: str) -> bytes:
    return b"credit-gateway/v1\x1f" + header + f"\x1f{table}\x1f{column}\x1f{row}".encode()


def _truncated_hmac(key: bytes, kind: str, normalized_value: str) -> bytes:
    bits = BLIND_INDEX_BITS[kind]
    # hmac.digest is OpenSSL's one-shot HMAC: the same bytes as hmac.new(...).digest(), at a
    # fraction of the cost; bulk writes compute one or two indexes per person.
    mac = hmac.digest(key, f"{kind}\x1f{normalized_value}".encode(), "sha256")
    return mac[: (bits + 7) // 8] if bits % 8 == 0 else _truncate_bits(mac, bits)


def _truncate_bits(mac: bytes, bits: int) -> bytes:
    nbytes = (bits + 7) // 8
    head = bytearray(mac[:nbytes])
    head[-1] &= (0xFF << (8 * nbytes - bits)) & 0xFF
    return bytes(head)

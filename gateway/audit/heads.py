"""Signed tree heads: Ed25519 signatures by the keyring's ``audit-<n>`` key over (size, root, time).

The signed message is RFC 6962's ``TreeHeadSignature`` structure (section 3.5), 50 bytes:

    version          1 byte   0 (v1)
    signature_type   1 byte   1 (tree_hash)
    timestamp        8 bytes  milliseconds since the Unix epoch, big-endian
    tree_size        8 bytes  big-endian
    sha256_root_hash 32 bytes

signed with plain Ed25519 (RFC 8032, 64-byte signature). The key id names the key in the public
JWKS (``credit-gateway keys jwks --purpose audit``); keys of other purposes never sign heads.
"""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from gateway.audit.merkle import HASH_SIZE
from gateway.keys.keyring import Keyring, SigningPurpose

_MESSAGE = struct.Struct(">BBQQ")
VERSION_V1 = 0
TREE_HASH = 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class TreeHead:
    tree_size: int
    root_hash: bytes
    timestamp_ms: int
    key_id: str
    signature: bytes

    @property
    def time(self) -> datetime:
        return _EPOCH + timedelta(milliseconds=self.timestamp_ms)

    def message(self) -> bytes:
        return head_message(self.tree_size, self.root_hash, self.timestamp_ms)

    def to_json(self) -> dict[str, Any]:
        """The exported form (docs/audit.md, "Signed tree heads")."""
        return {
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "timestamp": self.timestamp_ms,
            "time": self.time.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "key_id": self.key_id,
            "signature": base64.b64encode(self.signature).decode("ascii"),
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> TreeHead:
        try:
            head = cls(
                tree_size=int(doc["tree_size"]),
                root_hash=bytes.fromhex(doc["root_hash"]),
                timestamp_ms=int(doc["timestamp"]),
                key_id=str(doc["key_id"]),
                signature=base64.b64decode(doc["signature"], validate=True),
            )
        except (KeyError, TypeError, ValueError):
            raise ValueError(
                "not a tree head: needs tree_size, root_hash, timestamp, key_id, signature"
            ) from None
        if len(head.root_hash) != HASH_SIZE or head.tree_size < 0:
            raise ValueError("not a tree head: bad root hash or size")
        return head


def head_message(tree_size: int, root_hash: bytes, timestamp_ms: int) -> bytes:
    if len(root_hash) != HASH_SIZE:
        raise ValueError("a root hash has 32 bytes")
    return _MESSAGE.pack(VERSION_V1, TREE_HASH, timestamp_ms, tree_size) + root_hash


def verify_head(head: TreeHead, public_key: bytes) -> bool:
    """True when ``head.signature`` is the Ed25519 signature of the head's message by ``public_key``
    (32 raw bytes). Pure: an outside party runs exactly this."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(head.signature, head.message())
    except (InvalidSignature, ValueError):
        return False
    return True


class HeadSigner:
    """Signs heads with the newest audit key; knows every audit public key for verification."""

    def __init__(self, keyring: Keyring) -> None:
        self.key_id = keyring.current_signing_kid(SigningPurpose.AUDIT)
        self._key = Ed25519PrivateKey.from_private_bytes(keyring.signing_key(self.key_id).reveal())
        self.public_keys = audit_public_keys(keyring)

    def __repr__(self) -> str:
        return f"HeadSigner(key_id={self.key_id!r})"

    def sign(self, tree_size: int, root_hash: bytes, timestamp_ms: int) -> TreeHead:
        signature = self._key.sign(head_message(tree_size, root_hash, timestamp_ms))
        return TreeHead(tree_size, root_hash, timestamp_ms, self.key_id, signature)

    def verify(self, head: TreeHead) -> bool:
        key = self.public_keys.get(head.key_id)
        return key is not None and verify_head(head, key)


def audit_public_keys(keyring: Keyring) -> dict[str, bytes]:
    """Raw Ed25519 public keys of every audit key, by key id."""
    keys: dict[str, bytes] = {}
    for kid in keyring.signing_kids(SigningPurpose.AUDIT):
        private = Ed25519PrivateKey.from_private_bytes(keyring.signing_key(kid).reveal())
        keys[kid] = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return keys


def millis(moment: datetime) -> int:
    """Milliseconds since the Unix epoch, exactly (no float rounding)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(milliseconds=1)

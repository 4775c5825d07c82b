"""The keyring file: versioned data keys, the blind-index key, signing keys, and nothing in clear
anywhere else.

The file is JSON with base64 keys, created with mode 0600 and never overwritten: losing a data key
loses every value encrypted under it. Rotation appends a version and replaces the file atomically.
Key material is wrapped in :class:`SecretBytes`, whose repr and str never show it.

Signing keys are raw 32-byte Ed25519 private keys named by key id ``<purpose>-<n>`` (``token-1``,
``audit-1``): one family per purpose, so a key that signs caller tokens can never vouch for an audit
tree head and the other way round. Files written before signing keys existed still load.

The blind-index key has a version (``index_key_version``, 1 when absent). While ``keys rotate-index``
recomputes the indexes, the key it replaces stays as ``previous_index_key`` so that lookups find rows
not yet recomputed; the rotation deletes it when every row is done. Audit pseudonyms have a key of
their own (``audit_pseudonym_key``), which index rotation leaves alone: the audit log is append-only
and signed, so the pseudonyms it holds can never be recomputed (docs/keys.md). A file written before
it existed has none: its pseudonyms were made with the index key, which then stands in for it until
the first index rotation writes that key down as the pseudonym key.
"""

from __future__ import annotations

import base64
import dataclasses
import fcntl
import json
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from gateway.errors import KeyringError

FORMAT = 1
KEY_BYTES = 32  # AES-256 and HMAC-SHA256 keys, and raw Ed25519 private keys
_SIGNING_KID = re.compile(r"^([a-z]+)-([1-9][0-9]{0,5})$")


class SigningPurpose(StrEnum):
    """What a signing key may sign; the purpose is the prefix of its key id."""

    TOKEN = "token"  # noqa: S105 (a purpose name, not a secret): caller authentication tokens
    AUDIT = "audit"  # tree heads of the audit log
    CONSENT = "consent"  # consent tokens individuals hand to grantees
    REPORT = "report"  # credit reports a subject or requester hands to a third party (docs/reports.md)


class SecretBytes:
    """Key material that does not print itself (repr, str, logs, tracebacks)."""

    __slots__ = ("_value",)

    def __init__(self, value: bytes) -> None:
        self._value = value

    def reveal(self) -> bytes:
        return self._value

    def __repr__(self) -> str:
        return "SecretBytes('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretBytes) and secrets.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Keyring:
    """Data keys by version (the highest is current), the blind-index key, and signing keys by id.

    ``signing_keys`` has no default on purpose: code that rebuilds a keyring (rotation, pruning) must
    carry them over, or use ``dataclasses.replace``; a silent ``{}`` would drop them from the file.
    """

    data_keys: dict[int, SecretBytes]
    index_key: SecretBytes
    signing_keys: dict[str, SecretBytes]
    extra: dict[str, Any] = field(default_factory=dict, repr=False)
    index_version: int = 1
    previous_index: IndexKey | None = None  # only while an index rotation runs
    audit_pseudonym_key: SecretBytes | None = None  # None: a file older than the key; the index key

    @property
    def pseudonym_key(self) -> SecretBytes:
        """The key of the audit log's pseudonyms (``gateway.audit.pseudonyms``)."""
        return self.audit_pseudonym_key if self.audit_pseudonym_key is not None else self.index_key

    @property
    def index_keys(self) -> dict[int, SecretBytes]:
        """Blind-index keys by version, current first: the previous one only during a rotation."""
        keys = {self.index_version: self.index_key}
        if self.previous_index is not None:
            keys[self.previous_index.version] = self.previous_index.key
        return keys

    def with_new_index_key(self) -> Keyring:
        """A fresh index key under the next version; the current one is kept as the previous key.

        A keyring without its own pseudonym key gets the current index key as that key first, so
        that the audit log's existing pseudonyms stay searchable once the index key is gone.
        """
        if self.previous_index is not None:
            raise KeyringError(
                f"index key version {self.previous_index.version} is still kept for an unfinished "
                "rotation; finish it with 'credit-gateway keys rotate-index' first"
            )
        return dataclasses.replace(
            self,
            index_key=SecretBytes(secrets.token_bytes(KEY_BYTES)),
            index_version=self.index_version + 1,
            previous_index=IndexKey(self.index_version, self.index_key),
            audit_pseudonym_key=self.pseudonym_key,
            signing_keys=dict(self.signing_keys),
            extra=dict(self.extra),
        )

    def without_previous_index_key(self) -> Keyring:
        """The keyring once the rotation is done: the previous index key is gone from it for good."""
        return dataclasses.replace(self, previous_index=None)

    @property
    def current_version(self) -> int:
        return max(self.data_keys)

    def data_key(self, version: int) -> SecretBytes:
        try:
            return self.data_keys[version]
        except KeyError:
            raise KeyringError(f"the keyring has no data key version {version}") from None

    def signing_key(self, kid: str) -> SecretBytes:
        try:
            return self.signing_keys[kid]
        except KeyError:
            raise KeyringError(f"the keyring has no signing key {kid}") from None

    def signing_kids(self, purpose: SigningPurpose) -> list[str]:
        """Key ids of one purpose, oldest first."""
        return sorted((k for k in self.signing_keys if _kid_purpose(k) == purpose), key=_kid_number)

    def current_signing_kid(self, purpose: SigningPurpose) -> str:
        """The newest key of a purpose: the one that signs from now on."""
        kids = self.signing_kids(purpose)
        if not kids:
            raise KeyringError(
                f"the keyring has no {purpose} signing key; add one with "
                f"'credit-gateway keys add-signing-key --purpose {purpose}'"
            )
        return kids[-1]

    @classmethod
    def generate(cls) -> Keyring:
        return cls(
            data_keys={1: SecretBytes(secrets.token_bytes(KEY_BYTES))},
            index_key=SecretBytes(secrets.token_bytes(KEY_BYTES)),
            signing_keys={
                f"{purpose}-1": SecretBytes(secrets.token_bytes(KEY_BYTES)) for purpose in SigningPurpose
            },
            audit_pseudonym_key=SecretBytes(secrets.token_bytes(KEY_BYTES)),
        )

    def with_new_version(self) -> Keyring:
        keys = dict(self.data_keys)
        keys[self.current_version + 1] = SecretBytes(secrets.token_bytes(KEY_BYTES))
        return dataclasses.replace(
            self, data_keys=keys, signing_keys=dict(self.signing_keys), extra=dict(self.extra)
        )

    def with_signing_key(self, purpose: SigningPurpose) -> Keyring:
        """Add the next key of a purpose; older keys stay so that what they signed still verifies."""
        kids = self.signing_kids(purpose)
        number = _kid_number(kids[-1]) + 1 if kids else 1
        keys = dict(self.signing_keys)
        keys[f"{purpose}-{number}"] = SecretBytes(secrets.token_bytes(KEY_BYTES))
        return dataclasses.replace(
            self, data_keys=dict(self.data_keys), signing_keys=keys, extra=dict(self.extra)
        )

    def to_json(self) -> str:
        doc: dict[str, Any] = {
            "format": FORMAT,
            "data_keys": {str(v): _b64(k) for v, k in sorted(self.data_keys.items())},
            "index_key": _b64(self.index_key),
            "signing_keys": {kid: _b64(k) for kid, k in sorted(self.signing_keys.items())},
        }
        if self.index_version != 1:
            doc["index_key_version"] = self.index_version
        if self.previous_index is not None:
            doc["previous_index_key"] = {
                "version": self.previous_index.version,
                "key": _b64(self.previous_index.key),
            }
        if self.audit_pseudonym_key is not None:
            doc["audit_pseudonym_key"] = _b64(self.audit_pseudonym_key)
        doc.update(self.extra)
        return json.dumps(doc, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Keyring:
        try:
            doc = json.loads(text)
            if doc.get("format") != FORMAT:
                raise KeyringError(f"unsupported keyring format {doc.get('format')!r}")
            data_keys = {int(v): _unb64(k) for v, k in doc.pop("data_keys").items()}
            index_key = _unb64(doc.pop("index_key"))
            signing_keys = {_checked_kid(kid): _unb64(k) for kid, k in doc.pop("signing_keys", {}).items()}
            index_version = _version(doc.pop("index_key_version", 1))
            previous = doc.pop("previous_index_key", None)
            previous_index = (
                None if previous is None else IndexKey(_version(previous["version"]), _unb64(previous["key"]))
            )
            audit_text = doc.pop("audit_pseudonym_key", None)
            audit_key = None if audit_text is None else _unb64(audit_text)
            doc.pop("format")
        except KeyringError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError):
            raise KeyringError("the keyring file is not a valid keyring") from None
        if not data_keys:
            raise KeyringError("the keyring has no data keys")
        if previous_index is not None and previous_index.version >= index_version:
            raise KeyringError("the keyring's previous index key is not older than its index key")
        return cls(
            data_keys=data_keys,
            index_key=index_key,
            signing_keys=signing_keys,
            extra=doc,
            index_version=index_version,
            previous_index=previous_index,
            audit_pseudonym_key=audit_key,
        )


@dataclass(frozen=True, slots=True)
class IndexKey:
    """A blind-index key and its version (the version each row's ``index_version`` names)."""

    version: int
    key: SecretBytes


def _version(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value < 65_536:
        raise ValueError("bad index key version")
    return value


def _kid_purpose(kid: str) -> str:
    return kid.rsplit("-", 1)[0]


def _kid_number(kid: str) -> int:
    return int(kid.rsplit("-", 1)[1])


def _checked_kid(kid: str) -> str:
    if not isinstance(kid, str) or not _SIGNING_KID.match(kid):
        raise ValueError("bad signing key id")
    return kid


def _b64(secret: SecretBytes) -> str:
    return base64.b64encode(secret.reveal()).decode("ascii")


def _unb64(text: str) -> SecretBytes:
    raw = base64.b64decode(text, validate=True)
    if len(raw) != KEY_BYTES:
        raise ValueError("bad key length")
    return SecretBytes(raw)


def load_keyring(path: Path) -> Keyring:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeyringError(f"no keyring at {path}; create one with 'credit-gateway keys init'") from None
    except OSError as exc:
        raise KeyringError(f"cannot read the keyring at {path}: {exc.strerror}") from None
    return Keyring.from_json(text)


def create_keyring_file(path: Path, keyring: Keyring | None = None) -> Keyring:
    """Write a new keyring with mode 0600; refuse to overwrite an existing file."""
    keyring = keyring or Keyring.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyringError(f"a keyring already exists at {path}; refusing to overwrite it") from None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(keyring.to_json())
        fh.flush()
        os.fsync(fh.fileno())
    return keyring


def replace_keyring_file(path: Path, keyring: Keyring) -> None:
    """Atomically replace the keyring (write a 0600 temporary file, fsync, rename, fsync the folder).

    A temporary file left by a crash is removed first: reopening it would keep whatever mode it had,
    and the rename would then publish the keys with that mode.
    """
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        os.fchmod(fh.fileno(), 0o600)
        fh.write(keyring.to_json())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the rename itself must survive a power cut, or the new key is lost
    finally:
        os.close(dir_fd)


@contextmanager
def keyring_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the keyring for a command that changes it (rotate, prune).

    Two rotations at once would each add "version N+1" with a different key; whichever file was
    written last would orphan every value the other sealed. The lock lives in ``<keyring>.lock``
    (an empty file, harmless to leave behind); the kernel releases it when the process dies.
    """
    if not path.exists():
        load_keyring(path)  # raises the usual "no keyring, run keys init" error
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise KeyringError(f"another command is changing the keyring at {path}; try again later") from None
    try:
        yield
    finally:
        os.close(fd)

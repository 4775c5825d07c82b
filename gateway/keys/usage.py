"""Which data-key versions the stored ciphertexts use, and dropping the versions nothing uses.

Rotation, ``keys status`` and ``keys prune`` need the same answer at two strengths. The per-row
``key_version`` column is cheap and indexed: it is a rotation's work list and what status counts.
The version in each stored value's header is what decryption actually needs, so prune trusts only a
scan of those headers: dropping a key that one forgotten value still needs loses that value for good.

The encrypted tables and columns are read off the models (tables with a ``key_version`` column,
columns named ``*_enc``), so a column added later is rotated and counted without another list to keep.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, Table, func, inspect, select

from gateway.errors import KeyringError, NotFound
from gateway.keys.crypto import key_version_of
from gateway.keys.keyring import Keyring, keyring_lock, load_keyring, replace_keyring_file
from gateway.store.models import Base

# table name -> key version -> rows sealed under it
VersionCounts = dict[str, dict[int, int]]


@dataclass(frozen=True, slots=True)
class EncryptedTable:
    """A table holding ciphertexts: its primary key is the row identity bound into each one's AAD."""

    name: str
    key: str
    columns: tuple[str, ...]

    @property
    def table(self) -> Table:
        return Base.metadata.tables[self.name]


def encrypted_tables() -> tuple[EncryptedTable, ...]:
    found = []
    for table in Base.metadata.sorted_tables:
        if "key_version" not in table.c:
            continue
        (key,) = table.primary_key.columns
        columns = tuple(c.name for c in table.columns if c.name.endswith("_enc"))
        found.append(EncryptedTable(table.name, key.name, columns))
    return tuple(found)


def version_counts(conn: Connection) -> VersionCounts:
    """Rows per key version, per encrypted table (rows without ciphertexts are not counted)."""
    _require_schema(conn)
    counts: VersionCounts = {}
    for enc in encrypted_tables():
        version = enc.table.c.key_version
        stmt = select(version, func.count()).where(version.is_not(None)).group_by(version)
        counts[enc.name] = {int(v): int(n) for v, n in conn.execute(stmt)}
    return counts


def rows_below(counts: VersionCounts, version: int) -> int:
    return sum(n for per_table in counts.values() for v, n in per_table.items() if v < version)


def require_versions(counts: VersionCounts, keyring: Keyring) -> None:
    """Refuse to go on when rows need a version the keyring lacks: a wrong or outdated keyring.

    Extending such a keyring would hand out a version number the database already uses with
    another key, and the values sealed under the lost one could never be told apart again.
    """
    used = {v for per_table in counts.values() for v in per_table}
    missing = sorted(used - set(keyring.data_keys))
    if missing:
        tables = sorted(t for t, per_table in counts.items() if set(per_table) & set(missing))
        raise KeyringError(
            f"rows of {', '.join(tables)} use key version(s) {', '.join(map(str, missing))}, which this "
            "keyring does not hold: is it an outdated copy? Nothing was changed."
        )


def versions_in_values(conn: Connection) -> set[int]:
    """Every key version named in a stored value's header (the database computes the distinct set)."""
    _require_schema(conn)
    versions: set[int] = set()
    for enc in encrypted_tables():
        for name in enc.columns:
            column = enc.table.c[name]
            stmt = select(func.substr(column, 1, 3)).where(column.is_not(None)).distinct()
            for (header,) in conn.execute(stmt):
                header = bytes(header)
                if len(header) < 3:
                    raise KeyringError(f"{enc.name}.{name} holds a value too short to name its key version")
                versions.add(key_version_of(header))
    return versions


@dataclass(frozen=True, slots=True)
class KeyStatus:
    versions: tuple[int, ...]
    current: int
    counts: VersionCounts

    @property
    def missing(self) -> tuple[int, ...]:
        """Versions rows use that the keyring lacks: those rows cannot be read."""
        used = {v for per_table in self.counts.values() for v in per_table}
        return tuple(sorted(used - set(self.versions)))

    @property
    def pending(self) -> int:
        """Rows still on an older version: an unfinished rotation."""
        return rows_below(self.counts, self.current)


def key_status(keyring: Keyring, engine: Engine) -> KeyStatus:
    with engine.connect() as conn:
        counts = version_counts(conn)
    return KeyStatus(tuple(sorted(keyring.data_keys)), keyring.current_version, counts)


@dataclass(frozen=True, slots=True)
class PruneResult:
    dropped: tuple[int, ...]
    kept: tuple[int, ...]
    applied: bool


def prune_unused_versions(keyring_path: Path, engine: Engine, *, apply: bool) -> PruneResult:
    """Drop data-key versions that no row and no stored value uses; never the current one.

    With ``apply=False`` only reports what it would drop. Backups of the database taken before a
    rotation still need the dropped keys: keep a copy of the old keyring with them (docs/keys.md).
    """
    with keyring_lock(keyring_path):
        keyring = load_keyring(keyring_path)
        with engine.connect() as conn:
            counts = version_counts(conn)
            require_versions(counts, keyring)
            used = {v for per_table in counts.values() for v in per_table} | versions_in_values(conn)
        dropped = tuple(sorted(set(keyring.data_keys) - used - {keyring.current_version}))
        kept = tuple(sorted(set(keyring.data_keys) - set(dropped)))
        if apply and dropped:
            remaining = {v: k for v, k in keyring.data_keys.items() if v in kept}
            replace_keyring_file(keyring_path, dataclasses.replace(keyring, data_keys=remaining))
    return PruneResult(dropped, kept, apply and bool(dropped))


def _require_schema(conn: Connection) -> None:
    inspector = inspect(conn)
    if not all(inspector.has_table(enc.name) for enc in encrypted_tables()):
        raise NotFound("the database has no credit store yet; run 'credit-gateway db upgrade' first")

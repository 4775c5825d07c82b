"""Recomputing every blind index under a new index key, and retiring the old key.

Whoever holds the index key and a copy of the database can test guessed identity numbers against
the stored indexes offline. Rotating the key ends that for every later copy: the indexes are
recomputed under a fresh key and the old key is deleted from the keyring file.

Three steps, each safe to repeat, in one run or spread over several:

1. The keyring gets a new index key under the next version; the current one is kept as the
   *previous* key (atomic replace, mode 0600). From then on, a process holding this keyring writes
   indexes under the new key and looks up under both: a row not yet recomputed is still found.
2. The rows whose ``index_version`` is below the current version are the work list, in primary-key
   order, one transaction per batch: each row's identity number, phone or credit code is decrypted
   with the data key and its index computed under the new key. A run that dies leaves whole batches
   done; running again picks up the rest (no new key is added while rows are below the current
   version). The old key is never needed for this: the indexes come from the decrypted values.
3. When no row is left below the current version, the previous key is deleted from the keyring.

Writers running alongside: a row is updated only if its ciphertexts and index version are still
the ones read (compare-and-swap), so a concurrent update is never overwritten with indexes of stale
values; a row a process with an older keyring filed under the old key is taken by another pass, and
the old key is kept while any is left (``IndexRotationResult.remaining``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Row, Table, bindparam, func, select

from gateway.errors import DecryptionFailed, KeyringError
from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import Keyring, keyring_lock, load_keyring, replace_keyring_file
from gateway.store.models import Organization, Person

DEFAULT_BATCH_SIZE = 1_000


@dataclass(frozen=True, slots=True)
class IndexedTable:
    """A table with blind indexes: which encrypted column each index is computed from."""

    table: Table
    key: str
    indexes: tuple[tuple[str, str, str], ...]  # (index column, encrypted column, blind-index kind)

    @property
    def name(self) -> str:
        return self.table.name


INDEXED_TABLES = (
    IndexedTable(
        Person.__table__,  # type: ignore[arg-type]
        "subject_id",
        (("id_number_bidx", "id_number_enc", "id_number"), ("phone_bidx", "phone_enc", "phone")),
    ),
    IndexedTable(
        Organization.__table__,  # type: ignore[arg-type]
        "subject_id",
        (("credit_code_bidx", "credit_code_enc", "credit_code"),),
    ),
)


@dataclass(frozen=True, slots=True)
class IndexRotationPlan:
    version: int  # the index key version every row ends on
    added: bool  # False: an unfinished rotation to ``version`` is being finished
    pending: int  # rows to recompute


@dataclass(frozen=True, slots=True)
class IndexRotationResult:
    plan: IndexRotationPlan
    recomputed: int
    remaining: int  # rows still below ``plan.version``
    retired: int | None  # the index key version deleted from the keyring, if one was
    seconds: float


@dataclass(frozen=True, slots=True)
class IndexStatus:
    version: int
    previous: int | None
    counts: dict[str, dict[int, int]]  # table -> index version -> rows

    @property
    def pending(self) -> int:
        return sum(n for per in self.counts.values() for v, n in per.items() if v < self.version)


def index_counts(conn: Connection) -> dict[str, dict[int, int]]:
    """Rows per index key version, per table (rows without an index are not counted)."""
    counts: dict[str, dict[int, int]] = {}
    for indexed in INDEXED_TABLES:
        version = indexed.table.c.index_version
        stmt = select(version, func.count()).where(version.is_not(None)).group_by(version)
        counts[indexed.name] = {int(v): int(n) for v, n in conn.execute(stmt)}
    return counts


def index_status(keyring: Keyring, engine: Engine) -> IndexStatus:
    with engine.connect() as conn:
        counts = index_counts(conn)
    previous = keyring.previous_index.version if keyring.previous_index is not None else None
    return IndexStatus(keyring.index_version, previous, counts)


def rotate_index(
    keyring_path: Path,
    engine: Engine,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_plan: Callable[[IndexRotationPlan], None] | None = None,
    on_batch: Callable[[int], None] | None = None,
    add_only: bool = False,
) -> IndexRotationResult:
    """Add an index key (or finish the unfinished rotation), recompute every index, retire the old key.

    ``on_plan`` hears the plan once the keyring is settled; ``on_batch`` hears the row count of each
    committed batch (an exception it raises stops the run there, as a crash would). ``add_only``
    stops after the keyring step, so every gateway process can be given the keyring with both keys
    before any index depends on the new one (docs/keys.md).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    with keyring_lock(keyring_path):
        keyring, plan = _settle_keyring(keyring_path, engine)
        if on_plan is not None:
            on_plan(plan)
        started = time.perf_counter()
        recomputed = 0
        if not add_only:
            recomputed = reindex(
                engine, FieldCipher(keyring), version=plan.version, batch_size=batch_size, on_batch=on_batch
            )
        seconds = time.perf_counter() - started
        with engine.connect() as conn:
            remaining = _below(index_counts(conn), plan.version)
        retired = None
        if not add_only and not remaining and keyring.previous_index is not None:
            retired = keyring.previous_index.version
            replace_keyring_file(keyring_path, keyring.without_previous_index_key())
    return IndexRotationResult(plan, recomputed, remaining, retired, seconds)


def _settle_keyring(keyring_path: Path, engine: Engine) -> tuple[Keyring, IndexRotationPlan]:
    keyring = load_keyring(keyring_path)
    with engine.connect() as conn:
        counts = index_counts(conn)
    newer = sorted({v for per in counts.values() for v in per if v > keyring.index_version})
    if newer:
        raise KeyringError(
            f"rows use index key version(s) {', '.join(map(str, newer))}, newer than this keyring's "
            f"{keyring.index_version}: is it an outdated copy? Nothing was changed."
        )
    pending = _below(counts, keyring.index_version)
    if pending or keyring.previous_index is not None:
        return keyring, IndexRotationPlan(keyring.index_version, added=False, pending=pending)
    keyring = keyring.with_new_index_key()
    replace_keyring_file(keyring_path, keyring)
    every_row = sum(n for per in counts.values() for n in per.values())
    return keyring, IndexRotationPlan(keyring.index_version, added=True, pending=every_row)


def _below(counts: dict[str, dict[int, int]], version: int) -> int:
    return sum(n for per in counts.values() for v, n in per.items() if v < version)


def reindex(
    engine: Engine,
    cipher: FieldCipher,
    *,
    version: int,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Recompute every index below ``version`` under the cipher's current index key, one
    transaction per batch; returns the rows recomputed. Passes repeat while one made progress."""
    if cipher.index_version != version:
        raise KeyringError(f"the cipher's index key is version {cipher.index_version}, not {version}")
    moved = 0
    for indexed in INDEXED_TABLES:
        remaining = _count_below(engine, indexed, version)
        while remaining:
            after: str | None = None
            while True:
                count, after = _reindex_batch(engine, cipher, indexed, version, after, batch_size)
                if after is None:
                    break
                moved += count
                if on_batch is not None:
                    on_batch(count)
            left = _count_below(engine, indexed, version)
            if left >= remaining:
                break
            remaining = left
    return moved


def _count_below(engine: Engine, indexed: IndexedTable, version: int) -> int:
    with engine.connect() as conn:
        column = indexed.table.c.index_version
        return int(conn.scalar(select(func.count()).where(column < version)) or 0)


def _reindex_batch(
    engine: Engine, cipher: FieldCipher, indexed: IndexedTable, version: int, after: str | None, limit: int
) -> tuple[int, str | None]:
    """Recompute the next ``limit`` rows after ``after`` (keyset order): the rows actually updated
    and the last key read, or ``None`` when no row is left. Every value of the batch is decrypted
    before anything is written, so a failure leaves the batch as it was."""
    table = indexed.table
    key = table.c[indexed.key]
    encrypted = [table.c[enc] for _, enc, _ in indexed.indexes]
    stmt = select(key, table.c.index_version, *encrypted).where(table.c.index_version < version)
    stmt = stmt.order_by(key).limit(limit)
    if after is not None:
        stmt = stmt.where(key > after)
    with engine.begin() as conn:
        rows = conn.execute(stmt).all()
        if not rows:
            return 0, None
        params = [_recomputed(cipher, indexed, row, version) for row in rows]
        swapped = conn.execute(_compare_and_swap(indexed), params).rowcount
    return swapped, rows[-1][0]


def _recomputed(cipher: FieldCipher, indexed: IndexedTable, row: Row[Any], version: int) -> dict[str, Any]:
    row_id = row[0]
    params: dict[str, Any] = {"_key": row_id, "_old_version": row.index_version, "_version": version}
    for index_column, enc_column, kind in indexed.indexes:
        blob = row._mapping[enc_column]
        blob = None if blob is None else bytes(blob)
        params[f"_old_{enc_column}"] = blob
        params[f"_new_{index_column}"] = None
        if blob is not None:
            value = _decrypted(cipher, indexed, row_id, enc_column, blob)
            params[f"_new_{index_column}"] = cipher.blind_index(kind, value)
    return params


def _decrypted(cipher: FieldCipher, indexed: IndexedTable, row_id: str, column: str, blob: bytes) -> str:
    """The stored value, which is already normalised (the writer stores what it indexes)."""
    try:
        return cipher.decrypt(blob, table=indexed.name, column=column, row=row_id)
    except DecryptionFailed:
        raise DecryptionFailed(
            f"{indexed.name} row {row_id}, column {column}: the stored value does not authenticate; "
            "index rotation stopped and this batch was not written"
        ) from None


def _compare_and_swap(indexed: IndexedTable) -> Any:
    """UPDATE one row's indexes only if its ciphertexts and index version are still those read."""
    table = indexed.table
    conditions = [
        table.c[indexed.key] == bindparam("_key"),
        table.c.index_version == bindparam("_old_version"),
        *(table.c[enc].is_not_distinct_from(bindparam(f"_old_{enc}")) for _, enc, _ in indexed.indexes),
    ]
    values = {idx: bindparam(f"_new_{idx}") for idx, _, _ in indexed.indexes}
    values["index_version"] = bindparam("_version")
    return table.update().where(*conditions).values(values)

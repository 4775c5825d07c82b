"""Re-encrypting every stored identity value under a new data-key version.

Two steps, each safe to repeat. First the keyring gains a version (atomic replace, mode 0600, old
versions kept: rows need them until the second step ends). Then the rows whose ``key_version`` is
below the current version are the work list. Each batch is read, every value is decrypted under the
version in its own header and sealed again under the new one with the same table/column/row binding,
and the batch is written in one transaction. A run that dies leaves whole batches done and the rest
untouched, and running again picks up the rest.

While any row is below the current version, a run finishes that rotation instead of adding another
version: stacking versions would not make the unfinished rows any safer, and would leave one more
key to keep and back up.

Fail closed: a value that does not authenticate (wrong key, or copied from another row or column)
stops the run before its batch is written, naming the table, row and column, never the value.

Writers running beside a rotation: each row is updated only if its ciphertexts are still the ones
that were read (compare-and-swap; every seal uses a fresh nonce, so any rewrite changes them), so a
concurrent update is never overwritten with stale values. A row rewritten under an older version by
a process that still holds the old keyring is picked up by another pass; what a pass cannot finish
is reported in ``RotationResult.remaining``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Row, bindparam, func, select

from gateway.errors import DecryptionFailed, KeyringError
from gateway.keys.crypto import FieldCipher, key_version_of
from gateway.keys.keyring import Keyring, keyring_lock, load_keyring, replace_keyring_file
from gateway.keys.usage import (
    EncryptedTable,
    encrypted_tables,
    require_versions,
    rows_below,
    version_counts,
)

DEFAULT_BATCH_SIZE = 1_000


@dataclass(frozen=True, slots=True)
class RotationPlan:
    version: int  # the version every row ends on
    added: bool  # False: an unfinished rotation to ``version`` is being finished
    pending: int  # rows to re-encrypt


@dataclass(frozen=True, slots=True)
class RotationResult:
    plan: RotationPlan
    rotated: int
    remaining: int  # rows still below ``plan.version`` (rewritten under an old key meanwhile)
    seconds: float


def rotate(
    keyring_path: Path,
    engine: Engine,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_plan: Callable[[RotationPlan], None] | None = None,
    on_batch: Callable[[int], None] | None = None,
    add_only: bool = False,
) -> RotationResult:
    """Add a data-key version (or finish the unfinished rotation) and re-encrypt every row under it.

    ``on_plan`` hears the plan once the keyring is settled; ``on_batch`` hears the row count of
    each committed batch (an exception it raises stops the run there, as a crash would).
    ``add_only`` stops after the keyring step, so the new key can be backed up and every gateway
    process given the new keyring before any value depends on it; the next run re-encrypts.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    with keyring_lock(keyring_path):
        keyring, plan = _settle_keyring(keyring_path, engine)
        if on_plan is not None:
            on_plan(plan)
        started = time.perf_counter()
        rotated = 0
        if not add_only:
            rotated = reencrypt(
                engine, FieldCipher(keyring), version=plan.version, batch_size=batch_size, on_batch=on_batch
            )
        seconds = time.perf_counter() - started
        with engine.connect() as conn:
            remaining = rows_below(version_counts(conn), plan.version)
    return RotationResult(plan, rotated, remaining, seconds)


def _settle_keyring(keyring_path: Path, engine: Engine) -> tuple[Keyring, RotationPlan]:
    keyring = load_keyring(keyring_path)
    with engine.connect() as conn:
        counts = version_counts(conn)
    require_versions(counts, keyring)
    pending = rows_below(counts, keyring.current_version)
    if pending:
        return keyring, RotationPlan(keyring.current_version, added=False, pending=pending)
    keyring = keyring.with_new_version()
    replace_keyring_file(keyring_path, keyring)
    every_row = sum(n for per_table in counts.values() for n in per_table.values())
    return keyring, RotationPlan(keyring.current_version, added=True, pending=every_row)


def reencrypt(
    engine: Engine,
    cipher: FieldCipher,
    *,
    version: int,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Move every row below ``version`` onto it, one transaction per batch; returns rows moved.

    Passes over a table repeat while the previous pass made progress and rows remain (rows a
    concurrent writer put back on an old version); a pass that moves nothing ends the loop.
    """
    moved = 0
    for enc in encrypted_tables():
        remaining = _count_below(engine, enc, version)
        while remaining:
            after: str | None = None
            while True:
                count, after = _rotate_batch(engine, cipher, enc, version, after, batch_size)
                if after is None:
                    break
                moved += count
                if on_batch is not None:
                    on_batch(count)
            left = _count_below(engine, enc, version)
            if left >= remaining:
                break
            remaining = left
    return moved


def _count_below(engine: Engine, enc: EncryptedTable, version: int) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).where(enc.table.c.key_version < version)) or 0)


def _rotate_batch(
    engine: Engine, cipher: FieldCipher, enc: EncryptedTable, version: int, after: str | None, limit: int
) -> tuple[int, str | None]:
    """Re-encrypt the next ``limit`` rows after ``after`` (keyset order).

    Returns the rows actually moved (a row changed since it was read is left for the next pass) and
    the last key read, or ``None`` when no row is left after ``after``.

    Every value of the batch is decrypted before anything is written, so a failure leaves the
    batch as it was.
    """
    table = enc.table
    key = table.c[enc.key]
    stmt = select(key, table.c.key_version, *(table.c[c] for c in enc.columns))
    stmt = stmt.where(table.c.key_version < version).order_by(key).limit(limit)
    if after is not None:
        stmt = stmt.where(key > after)
    with engine.begin() as conn:
        rows = conn.execute(stmt).all()
        if not rows:
            return 0, None
        params = [_resealed(cipher, enc, row, version) for row in rows]
        swapped = conn.execute(_compare_and_swap(enc), params).rowcount
    return swapped, rows[-1][0]


def _resealed(cipher: FieldCipher, enc: EncryptedTable, row: Row[Any], version: int) -> dict[str, Any]:
    row_id = row[0]
    params: dict[str, Any] = {"_key": row_id, "_old_version": row.key_version, "_version": version}
    for name in enc.columns:
        blob = row._mapping[name]
        blob = None if blob is None else bytes(blob)
        params[f"_old_{name}"] = blob
        params[f"_new_{name}"] = None if blob is None else _reseal(cipher, enc, row_id, name, blob, version)
    return params


def _reseal(
    cipher: FieldCipher, enc: EncryptedTable, row_id: str, column: str, blob: bytes, version: int
) -> bytes:
    where = f"{enc.name} row {row_id}, column {column}"
    try:
        plain = cipher.decrypt(blob, table=enc.name, column=column, row=row_id)
    except DecryptionFailed:
        raise DecryptionFailed(
            f"{where}: the stored value does not authenticate (wrong key, or copied from another row or "
            "column); rotation stopped and this batch was not written"
        ) from None
    except KeyringError:
        raise KeyringError(
            f"{where}: sealed under key version {key_version_of(blob)}, which the keyring does not hold; "
            "rotation stopped and this batch was not written"
        ) from None
    return cipher.encrypt(plain, table=enc.name, column=column, row=row_id, version=version)


def _compare_and_swap(enc: EncryptedTable) -> Any:
    """UPDATE one row to the new ciphertexts only if it still holds the ones that were read."""
    table = enc.table
    conditions = [
        table.c[enc.key] == bindparam("_key"),
        table.c.key_version == bindparam("_old_version"),
        *(table.c[c].is_not_distinct_from(bindparam(f"_old_{c}")) for c in enc.columns),
    ]
    values = {c: bindparam(f"_new_{c}") for c in enc.columns} | {"key_version": bindparam("_version")}
    return table.update().where(*conditions).values(values)

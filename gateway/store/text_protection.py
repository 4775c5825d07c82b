"""Protecting the free text of rows written before revision 0009 (``db protect-free-text``).

Since revision 0009 the writer stores a text about a natural person masked in clear and whole
encrypted (``gateway.store.free_text``). Rows written before it hold the whole text in clear; this job
rewrites them. It needs the keyring, which a schema migration does not have, so ``db upgrade``
only counts what waits (``waiting``) and names this job.

The work list of each table is its rows with no encrypted copy yet (``*_enc`` null), in primary-key
order, a batch per transaction: a run that dies keeps whole batches, and running again picks up the
rest. A row whose text needs no protection (an organisation's decision naming nobody) stays on the
list and is looked at again by the next run, which writes nothing for it: the job is idempotent.

Writers running beside it: a row is rewritten only if its clear text is still the one that was read
and it has no encrypted copy yet (compare-and-swap); a row the writer rewrote meanwhile is already
protected, and is left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Table, and_, bindparam, func, select
from sqlalchemy.orm import Session

from gateway.domain import OrgForm, SubjectKind
from gateway.keys.crypto import FieldCipher
from gateway.store import free_text
from gateway.store.models import CreditRecord, ListEntry, Organization, Subject

DEFAULT_BATCH_SIZE = 500


@dataclass(frozen=True, slots=True)
class _Work:
    """One table's texts: its column, the key bound into each ciphertext, and the subject column."""

    table: Table
    column: str
    key: str
    subject: str

    @property
    def enc(self) -> str:
        return f"{self.column}_enc"

    def candidates(self) -> Any:
        """Rows with no encrypted copy yet (only individual businesses have a trade name to protect)."""
        condition = self.table.c[self.enc].is_(None)
        if self.table.name == "organizations":
            condition = and_(condition, self.table.c.form == OrgForm.INDIVIDUAL_BUSINESS)
        return condition


WORK: tuple[_Work, ...] = (
    _Work(Organization.__table__, "name", "subject_id", "subject_id"),  # type: ignore[arg-type]
    _Work(CreditRecord.__table__, "content", "id", "subject_id"),  # type: ignore[arg-type]
    _Work(ListEntry.__table__, "reason", "id", "subject_id"),  # type: ignore[arg-type]
)


@dataclass(frozen=True, slots=True)
class ProtectionResult:
    scanned: int  # rows looked at
    protected: int  # rows rewritten masked and encrypted


def unchecked(engine: Engine) -> int:
    """Rows the job looks at: every text with no encrypted copy yet (the progress bar's total)."""
    with engine.connect() as conn:
        return sum(int(conn.scalar(select(func.count()).where(w.candidates())) or 0) for w in WORK)


def waiting(engine: Engine) -> int:
    """Texts of natural persons (a person's or an individual business's) still whole in clear: what
    ``db upgrade`` reports; counted without the keyring, so texts of organisations that name their
    legal representative are not among them (the job finds those too)."""
    personal = (
        select(Subject.id)
        .outerjoin(Organization, Organization.subject_id == Subject.id)
        .where((Subject.kind == SubjectKind.PERSON) | (Organization.form == OrgForm.INDIVIDUAL_BUSINESS))
    )
    with engine.connect() as conn:
        total = 0
        for w in WORK:
            stmt = select(func.count()).where(w.candidates(), w.table.c[w.subject].in_(personal))
            total += int(conn.scalar(stmt) or 0)
        return total


def protect(
    engine: Engine,
    cipher: FieldCipher,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: Callable[[int], None] | None = None,
) -> ProtectionResult:
    """Rewrite every text about a natural person that is still whole in clear; ``on_batch`` hears each
    committed batch's row count (an exception it raises stops the run there, as a crash would)."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    scanned = protected = 0
    for work in WORK:
        after: str | None = None
        while True:
            count, changed, after = _batch(engine, cipher, work, after, batch_size)
            if after is None:
                break
            scanned, protected = scanned + count, protected + changed
            if on_batch is not None:
                on_batch(count)
    return ProtectionResult(scanned, protected)


def _batch(
    engine: Engine, cipher: FieldCipher, work: _Work, after: str | None, limit: int
) -> tuple[int, int, str | None]:
    """Protect the next ``limit`` candidates after ``after``: rows read, rows rewritten, last key read
    (``None`` when none is left)."""
    table, key = work.table, work.table.c[work.key]
    columns = [key, table.c[work.subject], table.c[work.column]]
    if "key_version" in table.c:
        columns.append(table.c.key_version)
    stmt = select(*columns).where(work.candidates()).order_by(key).limit(limit)
    if after is not None:
        stmt = stmt.where(key > after)
    with Session(engine) as session, session.begin():
        rows = session.execute(stmt).all()
        if not rows:
            return 0, 0, None
        owners = free_text.owners(session, cipher, (row[1] for row in rows))
        params = [p for row in rows if (p := _params(cipher, work, row, owners)) is not None]
        changed = 0
        if params:
            changed = session.connection().execute(_compare_and_swap(work), params).rowcount
    return len(rows), changed, rows[-1][0]


def _params(
    cipher: FieldCipher, work: _Work, row: Any, owners: dict[str, free_text.TextOwner]
) -> dict[str, Any] | None:
    row_key, subject, text = row[0], row[1], row[2]
    owner = owners.get(subject, free_text.NOBODY)
    if work.table.name == "organizations":
        # An individual business's row carries the key version of its encrypted credit code.
        version = row[3] if row[3] is not None else cipher.current_version
        owner = free_text.TextOwner(owner.names, owner.addresses, personal=True)
    else:
        version = cipher.current_version
    values = free_text.sealed(
        cipher, owner, text, table=work.table.name, column=work.column, row=row_key, version=version
    )
    if values[work.enc] is None:
        return None  # nothing in it about a natural person: stays as it is
    return {
        "_key": row_key,
        "_old": text,
        "_masked": values[work.column],
        "_enc": values[work.enc],
        "_version": version,
    }


def _compare_and_swap(work: _Work) -> Any:
    table = work.table
    values: dict[str, Any] = {work.column: bindparam("_masked"), work.enc: bindparam("_enc")}
    if table.name != "organizations":
        values["key_version"] = bindparam("_version")
    return (
        table.update()
        .where(
            table.c[work.key] == bindparam("_key"),
            table.c[work.enc].is_(None),
            table.c[work.column] == bindparam("_old"),
        )
        .values(values)
    )


__all__ = ["DEFAULT_BATCH_SIZE", "WORK", "ProtectionResult", "protect", "unchecked", "waiting"]

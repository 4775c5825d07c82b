"""Batched inserts: one executemany per table, and on SQLite the rows handed to the driver as tuples.

A Core insert on the table, not the ORM bulk path: the ORM leaves out None values and splits a batch
wherever the set of present keys changes (a person with a phone after one without), which turned one
statement per batch into one per row. Used by the store writer for every new row it makes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

from sqlalchemy import Dialect, LargeBinary, Table, insert
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine


def insert_rows(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` into ``model``'s table in one statement. On SQLite the rows go to the driver as
    tuples already converted column by column (see :class:`_DriverInsert`); other databases keep
    SQLAlchemy's executemany, which PostgreSQL turns into multi-row ``VALUES`` statements."""
    if not rows:
        return
    table = model.__table__
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        plan = _DriverInsert.for_rows(table, rows[0].keys(), connection.dialect)
        parameters = None if plan is None else plan.parameters(rows)
        if plan is not None and parameters is not None:
            connection.exec_driver_sql(plan.sql, parameters)
            return
    session.execute(insert(table), rows)


class _DriverInsert:
    """An INSERT compiled once per table and set of columns, with each column's bind processor.

    SQLAlchemy's executemany builds every row's parameters one bind at a time (about a quarter of
    seeding's CPU time); converting whole columns with the same processors and zipping them into
    tuples gives the driver the same values for a fraction of that. Used only when every column
    with a default is given, so that no default SQLAlchemy would have filled in is left out."""

    _cache: ClassVar[dict[tuple[str, str, tuple[str, ...]], _DriverInsert | None]] = {}

    def __init__(
        self, sql: str, keys: tuple[str, ...], processors: list[Callable[[Any], Any] | None]
    ) -> None:
        self.sql = sql
        self.keys = keys
        self.processors = processors

    @classmethod
    def for_rows(cls, table: Table, keys: Iterable[str], dialect: Dialect) -> _DriverInsert | None:
        key = (dialect.name, table.name, tuple(keys))
        if key not in cls._cache:
            cls._cache[key] = cls._build(table, key[2], dialect)
        return cls._cache[key]

    @classmethod
    def _build(cls, table: Table, keys: tuple[str, ...], dialect: Dialect) -> _DriverInsert | None:
        columns = table.columns
        if any(k not in columns for k in keys):
            return None
        given = set(keys)
        if any(
            c.key not in given and (c.default is not None or c.server_default is not None) for c in columns
        ):
            return None
        compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
        order = tuple(compiled.positiontup or ())
        if sorted(order) != sorted(keys):
            return None
        processors = [_driver_processor(columns[k].type, dialect) for k in order]
        return cls(str(compiled), order, processors)

    def parameters(self, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]] | None:
        """The rows as driver tuples, or None when a row lacks a column of the first one or a value
        does not convert: then SQLAlchemy's own executemany runs and refuses the batch with the
        ``StatementError`` it always raised (the import falls back to one row per transaction on
        SQLAlchemy's errors, and would not on a bare ``KeyError`` or ``LookupError``)."""
        columns: list[Iterable[Any]] = []
        try:
            for key, process in zip(self.keys, self.processors, strict=True):
                values = [row[key] for row in rows]
                columns.append(values if process is None else map(process, values))
            return list(zip(*columns, strict=True))
        except Exception:  # any failure: SQLAlchemy converts again and reports it
            return None


def _driver_processor(column_type: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """SQLAlchemy's bind processor for the type, except for binary columns on SQLite: there it only
    wraps ``bytes`` in a ``memoryview``, and sqlite3 stores both as the same BLOB (eight such columns
    a person)."""
    if dialect.name == "sqlite" and isinstance(column_type, LargeBinary):
        return None
    return column_type.dialect_impl(dialect).bind_processor(dialect)

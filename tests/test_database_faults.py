"""Which database failures get a code of their own (``gateway.store.faults``), raised for real by
SQLite: a read-only file and a lock held past the timeout are failures of the database; a missing
table is a fault of the gateway and stays an internal error."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from gateway.errors import DatabaseTimeout, DatabaseUnavailable
from gateway.store.faults import database_fault


def _raised(url: str, statement: str, *, timeout: float = 5.0) -> DBAPIError:
    engine = create_engine(url, connect_args={"timeout": timeout})
    try:
        with engine.begin() as conn, pytest.raises(DBAPIError) as raised:
            conn.execute(text(statement))
    finally:
        engine.dispose()
    return raised.value


@pytest.fixture
def path(tmp_path: Path) -> Path:
    file = tmp_path / "faults.db"
    engine = create_engine(f"sqlite:///{file}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    engine.dispose()
    return file


def test_a_write_to_a_read_only_file_is_database_unavailable(path: Path) -> None:
    fault = database_fault(_raised(f"sqlite:///file:{path}?mode=ro&uri=true", "INSERT INTO t VALUES (1)"))
    assert type(fault) is DatabaseUnavailable and fault.code == "DATABASE_UNAVAILABLE"


def test_a_lock_held_past_the_busy_timeout_is_database_timeout(path: Path) -> None:
    holder = create_engine(f"sqlite:///{path}")
    try:
        with holder.connect() as conn:
            conn.exec_driver_sql("BEGIN EXCLUSIVE")
            fault = database_fault(_raised(f"sqlite:///{path}", "INSERT INTO t VALUES (1)", timeout=0.05))
            conn.exec_driver_sql("ROLLBACK")
    finally:
        holder.dispose()
    assert type(fault) is DatabaseTimeout and fault.http_status == 503


def test_a_missing_table_or_any_other_exception_is_no_database_fault(path: Path) -> None:
    assert database_fault(_raised(f"sqlite:///{path}", "SELECT * FROM nowhere")) is None
    assert database_fault(ValueError("not a database error")) is None
    assert database_fault(None) is None

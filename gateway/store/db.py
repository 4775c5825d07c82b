"""Engines, sessions and schema migrations for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def normalize_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (relative to the current folder when the URL is); None otherwise."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def make_engine(url: str, *, flushed_later: bool = False, **kwargs: Any) -> Engine:
    """An engine whose commits are durable when they return — or, with ``flushed_later``, durable
    only once a later durable commit on the same database has returned.

    ``flushed_later`` is for the GraphQL requests' units of work alone: a request's answer leaves
    only after its audit event was committed durably on the durable engine, and that commit flushes
    the write-ahead log up to its own record, so every change committed before it with it (SQLite in
    WAL mode: one WAL file, synced whole; PostgreSQL: one WAL stream, flushed in order). A consented
    lookup then pays one fsync (the audit group's) instead of two. docs/audit.md, "Durability".
    """
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas_flushed_later if flushed_later else _sqlite_pragmas)
        return engine
    engine = create_engine(url, pool_pre_ping=True, **kwargs)
    if flushed_later:
        event.listen(engine, "connect", _postgres_commit_flushed_later, insert=True)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, synchronous: str = "FULL") -> None:
    # WAL lets readers run beside the single writer; synchronous=FULL makes every commit durable,
    # which the audit log relies on; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA synchronous={synchronous}")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _postgres_commit_flushed_later(dbapi_connection: Any, _record: Any) -> None:
    # A session setting, outside any transaction so that the pool's rollback on return keeps it;
    # set here rather than in the URL's ``options``, which may already carry a search_path.
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    cursor = dbapi_connection.cursor()
    cursor.execute("SET SESSION synchronous_commit TO off")
    cursor.close()
    dbapi_connection.autocommit = autocommit


def _sqlite_pragmas_flushed_later(dbapi_connection: Any, record: Any) -> None:
    # NORMAL in WAL mode: a commit appends to the WAL without syncing it; the next FULL commit by
    # any connection syncs the file, earlier frames included.
    _sqlite_pragmas(dbapi_connection, record, synchronous="NORMAL")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return cfg


def head_revision() -> str:
    """The schema revision this code needs: the head of its migrations."""
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    """The schema revision of the connected database; None when it has no (migrated) schema."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database schema to ``revision``; safe to run on every start."""
    command.upgrade(alembic_config(url), revision)

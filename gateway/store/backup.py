"""Backing up a running store and restoring it elsewhere (``credit-gateway db backup``/``restore``).

A backup holds the database only: ciphertexts, blind indexes and the audit log. The keyring that
opens it is backed up apart (docs/keys.md, "What to back up"): either alone reveals nothing.

SQLite: the online backup API copies the live file page by page into a new file while the gateway
keeps serving; the copy is one consistent snapshot (a writer that commits meanwhile restarts the
copy of the pages it changed). PostgreSQL: ``pg_dump`` in its custom format, one snapshot of one
transaction, restored with ``pg_restore`` in a single transaction. A URL whose ``options`` set a
``search_path`` is dumped as that schema alone.

Both directions refuse to overwrite: a backup file that exists, or a target database that already
holds tables. Restoring over a live store by mistake would lose it.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import URL, make_url

from gateway.errors import BackupFailed
from gateway.store import db

_SEARCH_PATH = re.compile(r"-c\s*search_path=([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    size: int
    method: str  # "sqlite-backup-api" or "pg_dump"


def backup(database_url: str, target: Path) -> BackupResult:
    """Write a consistent copy of the store at ``database_url`` to ``target`` (mode 0600)."""
    if target.exists():
        raise BackupFailed(f"{target} exists; a backup never overwrites a file")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = db.sqlite_file(database_url)
    if source is not None:
        if not source.exists():
            raise BackupFailed(f"no database at {source}")
        _sqlite_copy(source, partial)
        method = "sqlite-backup-api"
    else:
        _run_pg("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", *_schema_args(database_url),
                            f"--file={partial}", f"--dbname={_libpq_uri(database_url)}"], database_url)  # fmt: skip
        method = "pg_dump"
    os.chmod(partial, 0o600)
    _fsync(partial)
    os.replace(partial, target)
    return BackupResult(target, target.stat().st_size, method)


def restore(source: Path, database_url: str) -> None:
    """Restore a backup written by :func:`backup` into an empty database at ``database_url``."""
    if not source.is_file():
        raise BackupFailed(f"no backup file at {source}")
    target = db.sqlite_file(database_url)
    if target is not None:
        if target.exists() and target.stat().st_size:
            raise BackupFailed(f"{target} exists; restore into a new file")
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(source, target)
        return
    _require_empty(database_url)
    _run_pg("pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                           f"--dbname={_libpq_uri(database_url)}", str(source)], database_url)  # fmt: skip


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent snapshot of a database other connections keep writing."""
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst, pages=1024)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            dst.close()
    except sqlite3.DatabaseError as exc:
        target.unlink(missing_ok=True)
        raise BackupFailed(f"SQLite could not copy {source}: {exc}") from None
    finally:
        src.close()


def _require_empty(database_url: str) -> None:
    engine = db.make_engine(database_url)
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise BackupFailed(
            f"the target database already holds {len(tables)} tables; restore only into an empty database"
        )


def _url(database_url: str) -> URL:
    return make_url(db.normalize_url(database_url))


def _libpq_uri(database_url: str) -> str:
    """The URL as libpq reads it (no SQLAlchemy driver name, no password: that goes through the
    environment, never the command line others can list); ``options`` are passed through."""
    url = _url(database_url).set(drivername="postgresql", password=None)
    return url.render_as_string(hide_password=False)


def _schema_args(database_url: str) -> list[str]:
    options = _url(database_url).query.get("options")
    text = options if isinstance(options, str) else " ".join(options or ())
    found = _SEARCH_PATH.search(text)
    return [f"--schema={found.group(1)}"] if found else []


def _run_pg(tool: str, args: list[str], database_url: str) -> None:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupFailed(f"{tool} is not on PATH; install the PostgreSQL client of the server's version")
    env = dict(os.environ)
    password = _url(database_url).password
    if password:
        env["PGPASSWORD"] = str(password)
    done = subprocess.run([executable, *args], capture_output=True, text=True, env=env, check=False)  # noqa: S603
    if done.returncode != 0:
        message = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"
        raise BackupFailed(f"{tool} failed: {message}")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

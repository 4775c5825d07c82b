"""Shared fixtures: a real database per test (SQLite file, or a fresh PostgreSQL schema when
GATEWAY_TEST_DATABASE_URL is set) and a real keyring."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import Keyring, create_keyring_file
from gateway.store import db

PG_ENV = "GATEWAY_TEST_DATABASE_URL"


def _pg_schema_url(base: str, schema: str) -> str:
    url = make_url(db.normalize_url(base)).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@contextmanager
def fresh_pg_schema(base: str) -> Iterator[str]:
    """Create an empty schema, yield a URL whose search_path points at it, drop it afterwards."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(db.normalize_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_schema_url(base, schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL schema; skips only when no server is configured (CI always sets it)."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set")
    with fresh_pg_schema(base) as url:
        yield url


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """The database under test: PostgreSQL when configured, else a SQLite file."""
    base = os.environ.get(PG_ENV)
    if base:
        with fresh_pg_schema(base) as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'credit.db'}"


@pytest.fixture
def migrated_url(database_url: str) -> str:
    db.upgrade(database_url)
    return database_url


@pytest.fixture
def engine(migrated_url: str) -> Iterator[Engine]:
    eng = db.make_engine(migrated_url)
    yield eng
    eng.dispose()


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.generate()


@pytest.fixture
def cipher(keyring: Keyring) -> FieldCipher:
    return FieldCipher(keyring)


@pytest.fixture
def keyring_path(tmp_path: Path, keyring: Keyring) -> Path:
    path = tmp_path / "keyring.json"
    create_keyring_file(path, keyring)
    return path

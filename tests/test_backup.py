"""``credit-gateway db backup`` of a store a running gateway keeps answering from, ``db restore``
elsewhere with the keyring kept apart: every identity decrypts, every lookup answers the same, and
``audit verify`` passes. SQLite always; PostgreSQL (pg_dump, pg_restore) when configured."""

from __future__ import annotations

import dataclasses
import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from gateway.api.app import create_app
from gateway.keys.crypto import FieldCipher
from gateway.store import db, reads
from gateway.store.models import Organization, Person
from tests.api_client import gql, grant, partner
from tests.cli import run_cli
from tests.conftest import PG_ENV
from tests.gateway_fixtures import ZHANG, GatewayEnv, build_env
from tests.population import populate, read_back
from tests.server import running

PERSON = """
query($id: String!, $consent: String, $purpose: ConsentPurpose!) {
  person(idNumber: $id, consent: $consent, purpose: $purpose) { id name phone }
}"""


@pytest.fixture
def restore_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database elsewhere: a new SQLite file, or a new PostgreSQL database (pg_restore
    recreates the dumped schema there, so the URL keeps the source's search_path)."""
    if db.sqlite_file(database_url) is not None:
        yield f"sqlite:///{tmp_path / 'elsewhere' / 'credit.db'}"
        return
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump and pg_restore are not on PATH")
    name = f"r_{uuid.uuid4().hex[:12]}"
    admin = create_engine(db.normalize_url(os.environ[PG_ENV]), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def _lookup(client: httpx.Client, env: GatewayEnv, token: str) -> dict[str, Any]:
    variables = {"id": ZHANG.id_number, "consent": token, "purpose": "FINANCIAL_SERVICE"}
    body = gql(client, PERSON, variables, partner(env))
    assert "errors" not in body, body
    person: dict[str, Any] = body["data"]["person"]
    return person


def _lookups(engine: Engine, cipher: FieldCipher, numbers: list[str], codes: list[str]) -> list[object]:
    """What every lookup by identity number and by credit code answers, decrypted."""
    with Session(engine) as session:
        people = [reads.find_person_id(session, cipher, n) for n in numbers]
        views = reads.persons_by_id(session, cipher, [p for p in people if p])
        orgs = [reads.find_organization(session, cipher, c) for c in codes]
        return [*(views.get(p or "") and dataclasses.astuple(views[p or ""]) for p in people),
                *((o.subject_id, o.kind) if o else None for o in orgs)]  # fmt: skip


def _identities(engine: Engine, cipher: FieldCipher) -> tuple[list[str], list[str]]:
    with Session(engine) as session:
        persons = list(session.scalars(select(Person)))
        orgs = list(session.scalars(select(Organization)))
        numbers = [reads.decrypt_person(cipher, p).id_number for p in persons]
        codes = [reads.organization_code(cipher, o) for o in orgs]
    return numbers, codes


def test_a_backup_of_a_running_store_restores_elsewhere_with_the_keyring_kept_apart(
    tmp_path: Path, database_url: str, restore_url: str
) -> None:
    env = build_env(tmp_path / "site", database_url)
    cipher = FieldCipher(env.keyring)
    source = db.make_engine(database_url)
    backup_file = tmp_path / "backups" / "credit.backup"
    try:
        populate(source, cipher, persons=25, shops=2)
        with running(create_app(env.settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
            _, token = grant(client, env, ["IDENTITY", "CONTACT"], uses=200)
            answered = _lookup(client, env, token)
            stop = threading.Event()

            def keep_asking() -> None:  # the gateway keeps answering (and logging) during the backup
                with httpx.Client(base_url=url, timeout=30) as other:
                    for _ in range(100):
                        if stop.is_set():
                            return
                        assert _lookup(other, env, token) == answered

            traffic = threading.Thread(target=keep_asking)
            traffic.start()
            try:
                made = run_cli("db", "backup", str(backup_file), keyring=env.settings.keyring_path,
                               database_url=database_url)  # fmt: skip
            finally:
                stop.set()
                traffic.join()
        assert made.returncode == 0, made.stderr
        assert "the data needs data key version(s) 1 and index key version(s) 1" in made.stderr
        assert backup_file.stat().st_mode & 0o777 == 0o600
        refused = run_cli("db", "backup", str(backup_file), keyring=env.settings.keyring_path,
                          database_url=database_url)  # fmt: skip
        assert refused.returncode == 1 and "BACKUP_FAILED" in refused.stderr

        # The keyring travels apart from the database backup.
        vault = tmp_path / "vault" / "keyring.json"
        vault.parent.mkdir()
        shutil.copy2(env.settings.keyring_path, vault)
        restored = run_cli("db", "restore", str(backup_file), keyring=vault, database_url=restore_url)
        assert restored.returncode == 0, restored.stderr
        assert "holds every key the restored data needs" in restored.stderr
        again = run_cli("db", "restore", str(backup_file), keyring=vault, database_url=restore_url)
        assert again.returncode == 1 and "BACKUP_FAILED" in again.stderr  # never over a store

        target = db.make_engine(restore_url)
        try:
            assert read_back(target, cipher).plaintexts == read_back(source, cipher).plaintexts
            numbers, codes = _identities(source, cipher)
            assert len(numbers) == 27 and _identities(target, cipher) == (numbers, codes)
            assert _lookups(target, cipher, numbers, codes) == _lookups(source, cipher, numbers, codes)
            with target.connect() as conn:
                restored_events = conn.execute(text("SELECT seq, body FROM audit_events ORDER BY seq")).all()
            with source.connect() as conn:
                source_events = conn.execute(text("SELECT seq, body FROM audit_events ORDER BY seq")).all()
        finally:
            target.dispose()
        assert 0 < len(restored_events) <= len(source_events)
        assert [tuple(r) for r in restored_events] == [
            tuple(r) for r in source_events[: len(restored_events)]
        ]

        verified = run_cli("audit", "verify", "--workers", "1", keyring=vault, database_url=restore_url)
        assert verified.returncode == 0, verified.stderr + verified.stdout

        elsewhere = dataclasses.replace(env.settings, database_url=restore_url, keyring_path=vault)
        with running(create_app(elsewhere)) as url, httpx.Client(base_url=url, timeout=30) as client:
            assert _lookup(client, env, token) == answered
    finally:
        source.dispose()

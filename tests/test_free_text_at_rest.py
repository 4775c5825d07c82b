"""No full home address and no name of a natural person from free text is readable in the raw storage
of a seeded demo (the SQLite files byte for byte; every row of every PostgreSQL table as text), and
rows written before revision 0009 are protected by ``db protect-free-text``: idempotent, resumable.

The scans look for the values that the demo's free texts actually carry (checked to be there, so
that a scan cannot pass vacuously), and for a value kept in clear on purpose (a company's name).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session

from gateway.demo.bootstrap import DEMO_ORGS, DEMO_PEOPLE, DEMO_SEED
from gateway.demo.plan import SeedPlan, generate
from gateway.demo.seeding import run_seed
from gateway.domain import OrgForm
from gateway.keys.crypto import FieldCipher
from gateway.store import db, free_text, text_protection
from gateway.store.inputs import ListEntryInput, OrganizationInput, PersonInput, RecordInput
from gateway.store.models import CreditRecord, ListEntry, Organization
from gateway.workdays import WorkCalendar
from tests.cli import run_cli
from tests.population import write
from tests.test_at_rest import byte_forms, text_forms
from tests.test_free_text_http import COMPANY, ENTRY, LI, RECORDS, SHOP

PLAN = SeedPlan(seed=DEMO_SEED, people=DEMO_PEOPLE, orgs=DEMO_ORGS, batch_size=DEMO_PEOPLE)


def _free_text_secrets(plan: SeedPlan) -> tuple[set[str], set[str], str]:
    """Home addresses and names of persons that the plan's free texts contain, and a company name."""
    people: dict[str, PersonInput] = {}
    texts: list[str] = []
    company = ""
    for batch in generate(plan):
        for item in batch.items:
            if isinstance(item, PersonInput):
                people[item.id_number] = item
            elif isinstance(item, OrganizationInput):
                if item.legal_representative is not None:
                    people[item.legal_representative.id_number] = item.legal_representative
                texts.append(item.name)
                if item.form is OrgForm.LEGAL_PERSON and item.name.endswith("有限公司"):
                    company = company or item.name
            elif isinstance(item, RecordInput):
                texts.append(item.content)
            elif isinstance(item, ListEntryInput):
                texts.append(item.reason)
    corpus = "\n".join(texts)
    addresses = {p.address for p in people.values() if p.address and p.address in corpus}
    names = {p.name for p in people.values() if p.name in corpus}
    return addresses, names, company


@pytest.fixture(scope="module")
def secrets() -> tuple[set[str], set[str], str]:
    addresses, names, company = _free_text_secrets(PLAN)
    # What the demo is known to carry: home addresses in decisions, owners' names in trade names.
    assert len(addresses) >= 5 and len(names) >= 10 and company
    return addresses, names, company


def _seed(url: str, cipher: FieldCipher) -> None:
    db.upgrade(url)
    engine = db.make_engine(url)
    try:
        run_seed(engine, cipher, PLAN, calendar=WorkCalendar.load())
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(FULL)")
    finally:
        engine.dispose()


def test_sqlite_files_of_a_seeded_demo_hold_no_address_or_name_from_free_text(
    tmp_path: Path, cipher: FieldCipher, secrets: tuple[set[str], set[str], str]
) -> None:
    path = tmp_path / "demo.db"
    _seed(f"sqlite:///{path}", cipher)
    storage = b"".join(p.read_bytes() for p in sorted(tmp_path.glob("demo.db*")) if p.is_file())
    addresses, names, company = secrets
    assert company.encode() in storage
    for secret in sorted(addresses | names):
        for form in byte_forms(secret):
            assert form not in storage, f"{secret!r} is readable in the SQLite files"


@pytest.mark.postgres
def test_postgres_rows_of_a_seeded_demo_hold_no_address_or_name_from_free_text(
    postgres_url: str, cipher: FieldCipher, secrets: tuple[set[str], set[str], str]
) -> None:
    _seed(postgres_url, cipher)
    engine = db.make_engine(postgres_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SET bytea_output = 'hex'"))
            tables = conn.scalars(
                text(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
                )
            ).all()
            rows = [
                row
                for table in tables
                for row in conn.scalars(text(f'SELECT CAST(t AS text) FROM "{table}" AS t'))
            ]
    finally:
        engine.dispose()
    storage = "\n".join(rows).lower()
    addresses, names, company = secrets
    assert company in storage
    for secret in sorted(addresses | names):
        for form in text_forms(secret):
            assert form.lower() not in storage, f"{secret!r} is readable in a PostgreSQL row"


# --- rows written before revision 0009 --------------------------------------------------------------


def _write(engine: Engine, cipher: FieldCipher) -> None:
    write(engine, cipher, [LI, SHOP, COMPANY, *RECORDS, ENTRY])


def _stored(engine: Engine, cipher: FieldCipher) -> dict[str, tuple[Any, ...]]:
    """Each protected column's clear value, its whole text and its row's key version, by row."""
    found: dict[str, tuple[Any, ...]] = {}
    with Session(engine) as session:
        for model, column in ((CreditRecord, "content"), (ListEntry, "reason"), (Organization, "name")):
            for row in session.scalars(select(model)):
                key = getattr(row, "id", None) or row.subject_id
                whole = free_text.whole(cipher, row, column)
                found[key] = (
                    getattr(row, column),
                    whole,
                    getattr(row, f"{column}_enc") is not None,
                    row.key_version,
                )
    return found


def _as_before_0009(engine: Engine, cipher: FieldCipher) -> None:
    """Put every text back as revision 0005 stored it: whole, in clear, no encrypted copy."""
    with Session(engine) as session, session.begin():
        for model, column in ((CreditRecord, "content"), (ListEntry, "reason"), (Organization, "name")):
            for row in session.scalars(select(model)):
                values: dict[str, Any] = {column: free_text.whole(cipher, row, column), f"{column}_enc": None}
                if model is not Organization:
                    values["key_version"] = None
                key = model.__table__.primary_key.columns  # type: ignore[attr-defined]
                (pk,) = key
                session.execute(update(model).where(pk == getattr(row, pk.key)).values(**values))


class Interrupted(Exception):
    pass


def test_protecting_rows_written_before_0009_gives_what_the_writer_stores_and_a_rerun_changes_nothing(
    engine: Engine, cipher: FieldCipher
) -> None:
    _write(engine, cipher)
    as_written = _stored(engine, cipher)
    _as_before_0009(engine, cipher)
    assert text_protection.waiting(engine) == 4  # the person's and the shop's record, its entry, its name

    first = text_protection.protect(engine, cipher)
    again = text_protection.protect(engine, cipher)

    assert (first.protected, again.protected) == (4, 0)
    assert again.scanned == 1  # the company's record, which names nobody, is looked at and left
    assert text_protection.waiting(engine) == 0
    protected = _stored(engine, cipher)
    assert {k: v[0] for k, v in protected.items()} == {k: v[0] for k, v in as_written.items()}  # masked alike
    assert {k: v[1:] for k, v in protected.items()} == {k: v[1:] for k, v in as_written.items()}


def test_an_interrupted_protection_keeps_its_batches_and_a_rerun_completes_it(
    engine: Engine, cipher: FieldCipher
) -> None:
    _write(engine, cipher)
    as_written = _stored(engine, cipher)
    _as_before_0009(engine, cipher)
    batches: list[int] = []

    def stop_after_two(count: int) -> None:
        batches.append(count)
        if len(batches) == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        text_protection.protect(engine, cipher, batch_size=1, on_batch=stop_after_two)
    # The first batch (the shop's name) was committed; the second record in id order may be the
    # company's, which needs nothing.
    left = text_protection.waiting(engine)
    assert left in (2, 3)
    result = text_protection.protect(engine, cipher, batch_size=1)
    assert result.protected == left and text_protection.waiting(engine) == 0
    assert _stored(engine, cipher) == as_written


def test_db_upgrade_names_the_waiting_texts_and_the_command_protects_them(
    tmp_path: Path, migrated_url: str, cipher: FieldCipher, keyring_path: Path
) -> None:
    engine = db.make_engine(migrated_url)
    try:
        _write(engine, cipher)
        _as_before_0009(engine, cipher)
    finally:
        engine.dispose()

    upgraded = run_cli("db", "upgrade", keyring=keyring_path, database_url=migrated_url)
    protected = run_cli("db", "protect-free-text", keyring=keyring_path, database_url=migrated_url)
    again = run_cli("db", "protect-free-text", keyring=keyring_path, database_url=migrated_url)
    quiet = run_cli("db", "upgrade", keyring=keyring_path, database_url=migrated_url)

    for result in (upgraded, protected, again, quiet):
        assert result.returncode == 0, result.stdout + result.stderr
    assert "4 free texts of natural persons are still stored whole in clear" in " ".join(
        upgraded.stderr.split()
    )
    assert "credit-gateway db protect-free-text" in upgraded.stderr
    assert "masked and encrypted 4" in protected.stderr and "masked and encrypted 0" in again.stderr
    assert "protect-free-text" not in quiet.stderr

"""Demo data: deterministic, valid, realistic, written through the store writer, idempotent and
resumable, and reachable from the command line."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from gateway.demo.background import background_batches, blind_indexes
from gateway.demo.plan import SeedPlan, generate
from gateway.demo.seeding import SeedTally, run_seed
from gateway.demo.subjects import org_code_check_char
from gateway.domain import (
    Category,
    LinkRole,
    ListKind,
    ListStatus,
    OrgForm,
    Procedure,
    RecordStatus,
    Severity,
    SubjectKind,
)
from gateway.errors import InvalidInput
from gateway.identifiers import birth_date, normalize_credit_code, normalize_id_number
from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import Keyring
from gateway.regions import COUNTY_BY_CODE
from gateway.store import db, free_text
from gateway.store.inputs import ListEntryInput, OrganizationInput, PersonInput, RecordInput
from gateway.store.models import (
    CreditRecord,
    ListEntry,
    ListEntryRecord,
    Organization,
    Person,
    RecordLink,
    ResponsiblePerson,
    Subject,
)
from gateway.store.value_parsers import phone
from gateway.store.writer import WriteOutcome as Outcome
from gateway.workdays import WorkCalendar
from tests.conftest import PG_ENV, fresh_pg_schema

PLAN = SeedPlan(seed=7, people=300, orgs=60, batch_size=120)
PERSON_FIELDS = ("name", "id_number", "phone", "address", "health_status", "religion")


def items_of(plan: SeedPlan) -> list[Any]:
    return [item for batch in generate(plan) for item in batch.items]


def seed(engine: Engine, cipher: FieldCipher, plan: SeedPlan = PLAN, **kwargs: Any) -> SeedTally:
    return run_seed(engine, cipher, plan, calendar=WorkCalendar.load(), **kwargs)


@pytest.fixture
def other_engine(tmp_path: Path) -> Iterator[Engine]:
    """A second, empty database of the same kind as ``engine``."""
    base = os.environ.get(PG_ENV)
    if base:
        with fresh_pg_schema(base) as url:
            db.upgrade(url)
            eng = db.make_engine(url)
            yield eng
            eng.dispose()
    else:
        url = f"sqlite:///{tmp_path / 'other.db'}"
        db.upgrade(url)
        eng = db.make_engine(url)
        yield eng
        eng.dispose()


def snapshot(engine: Engine, cipher: FieldCipher) -> dict[str, Any]:
    """Everything seeded, decrypted, keyed by row ids."""
    with Session(engine) as s:
        persons = {
            p.subject_id: tuple(
                None
                if getattr(p, f"{f}_enc") is None
                else cipher.decrypt(
                    getattr(p, f"{f}_enc"), table="persons", column=f"{f}_enc", row=p.subject_id
                )
                for f in PERSON_FIELDS
            )
            for p in s.scalars(select(Person))
        }
        orgs = {}
        for o in s.scalars(select(Organization)):
            code = o.credit_code or cipher.decrypt(
                o.credit_code_enc or b"", table="organizations", column="credit_code_enc", row=o.subject_id
            )
            orgs[o.subject_id] = (
                o.form,
                free_text.whole(cipher, o, "name"),
                code,
                o.registered_address,
                o.legal_representative_id,
                o.agency_kind,
            )

        # A free text's ciphertext differs on every write (a fresh nonce): compared by its plaintext.
        def value(row: Any, column: str) -> Any:
            if column.endswith("_enc") and getattr(row, column) is not None:
                return free_text.whole(cipher, row, column.removesuffix("_enc"))
            return getattr(row, column)

        columns = [c for c in CreditRecord.__table__.columns if c.key != "id"]
        records = {r.id: tuple(value(r, c.key) for c in columns) for r in s.scalars(select(CreditRecord))}
        entry_columns = [c for c in ListEntry.__table__.columns if c.key != "id"]
        entries = {e.id: tuple(value(e, c.key) for c in entry_columns) for e in s.scalars(select(ListEntry))}
        return {
            "subjects": {sid: kind for sid, kind in s.execute(select(Subject.id, Subject.kind))},
            "created_at": sorted(s.scalars(select(Subject.created_at))),
            "persons": persons,
            "orgs": orgs,
            "records": records,
            "entries": entries,
            "entry_records": sorted(
                tuple(r) for r in s.execute(select(ListEntryRecord.list_entry_id, ListEntryRecord.record_id))
            ),
            "links": sorted(
                tuple(r)
                for r in s.execute(select(RecordLink.record_id, RecordLink.subject_id, RecordLink.role))
            ),
        }


def by_natural_keys(snap: dict[str, Any]) -> dict[str, Any]:
    """The same content with row ids replaced by identity numbers, credit codes and record keys,
    so that databases with different ids can be compared."""
    subject = {sid: p[1] for sid, p in snap["persons"].items()} | {
        sid: o[2] for sid, o in snap["orgs"].items()
    }
    record_keys = {
        rid: (r[3], r[2], r[1]) for rid, r in snap["records"].items()
    }  # authority, number, category
    entry_keys = {eid: (subject[e[0]], *e[1:]) for eid, e in snap["entries"].items()}
    return {
        "persons": sorted(snap["persons"].values()),
        "orgs": sorted((*o[:4], subject.get(o[4]), o[5]) for o in snap["orgs"].values()),
        "records": sorted((subject[r[0]], *r[1:]) for r in snap["records"].values()),
        "entries": sorted(entry_keys.values()),
        "entry_records": sorted((entry_keys[e], record_keys[r]) for e, r in snap["entry_records"]),
        "links": sorted((record_keys[r], subject[s], role) for r, s, role in snap["links"]),
    }


def count_rows(engine: Engine) -> dict[str, int]:
    models = (Subject, Person, Organization, CreditRecord, RecordLink, ListEntry, ListEntryRecord)
    with Session(engine) as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m)) or 0 for m in models}


# --- generation ----------------------------------------------------------------------------------


def test_every_generated_identifier_is_valid_and_unique() -> None:
    items = items_of(SeedPlan(seed=3, people=2_000, orgs=300))
    people = [i for i in items if isinstance(i, PersonInput)]
    orgs = [i for i in items if isinstance(i, OrganizationInput)]
    records = [i for i in items if isinstance(i, RecordInput)]
    for p in people:
        assert normalize_id_number(p.id_number) == p.id_number
        assert phone(p.phone) == p.phone
        county = COUNTY_BY_CODE[p.id_number[:6]]  # a real county code ...
        assert p.address is None or p.address.startswith(county.prefix)  # ... where they live
        assert 1 <= len(p.name) <= 4
    for o in orgs:
        assert normalize_credit_code(o.credit_code) == o.credit_code
        if o.legal_representative is not None:
            assert normalize_id_number(o.legal_representative.id_number)
    for r in records:
        assert normalize_credit_code(r.authority_code) == r.authority_code
        assert r.subject.id_number is None or normalize_id_number(r.subject.id_number)
        assert r.subject.credit_code is None or normalize_credit_code(r.subject.credit_code)
    assert len({p.id_number for p in people}) == len(people) == 2_000
    assert len({o.credit_code for o in orgs}) == len(orgs)
    assert len({r.key for r in records}) == len(records)


def test_organisation_codes_carry_their_gb_11714_check_character() -> None:
    assert org_code_check_char("D2143569") == "X"  # the standard's own example, D2143569-X
    firms = [i for i in items_of(PLAN) if isinstance(i, OrganizationInput)]
    assert all(org_code_check_char(o.credit_code[8:16]) == o.credit_code[16] for o in firms)


def test_identity_numbers_and_credit_codes_look_like_real_ones() -> None:
    items = items_of(SeedPlan(seed=3, people=2_000, orgs=300, reference_day=date(2026, 6, 30)))
    people = [i for i in items if isinstance(i, PersonInput)]
    ages = [(date(2026, 6, 30) - birth_date(p.id_number)).days // 365 for p in people]
    assert min(ages) >= 14 and max(ages) <= 81 and sum(a < 18 for a in ages) < len(ages) * 0.05
    # GB 11643: the 17th digit is odd for men; given names are drawn per sex, so both occur.
    assert 0.4 < sum(int(p.id_number[16]) % 2 for p in people) / len(people) < 0.6
    assert 0 < sum(p.health_status is not None for p in people) < len(people) * 0.05
    assert 0 < sum(p.religion is not None for p in people) < len(people) * 0.05
    orgs = [i for i in items if isinstance(i, OrganizationInput)]
    agencies = [o for o in orgs if o.kind is SubjectKind.GOVERNMENT_AGENCY]
    assert 15 <= len(agencies) <= 25
    assert all(
        a.credit_code.startswith("11") and a.form is OrgForm.AGENCY and a.agency_kind for a in agencies
    )
    firms = [o for o in orgs if o.kind is SubjectKind.ORGANIZATION]
    assert all(o.credit_code.startswith("92") for o in firms if o.form is OrgForm.INDIVIDUAL_BUSINESS)
    assert {o.credit_code[:2] for o in firms} >= {"91", "92"} and any(o.credit_code[0] == "5" for o in firms)
    assert all(o.legal_representative is not None and o.registered_address for o in firms)
    assert any(o.name.endswith("有限公司") for o in firms)


def test_a_modest_run_has_every_category_and_the_mix_a_demo_needs() -> None:
    items = items_of(PLAN)
    records = [i for i in items if isinstance(i, RecordInput)]
    assert {r.category for r in records} == set(Category)
    entries = [i for i in items if isinstance(i, ListEntryInput)]
    assert {e.kind for e in entries} == {ListKind.RED, ListKind.BLACK}
    # A larger run shows every status, both procedures, broken commitments and late receipt.
    big = [
        i
        for i in items_of(SeedPlan(seed=7, people=3_000, orgs=600))
        if isinstance(i, RecordInput | ListEntryInput)
    ]
    records = [r for r in big if isinstance(r, RecordInput)]
    assert {r.status for r in records} == set(RecordStatus)
    assert Counter(r.status for r in records).most_common(1)[0][0] is RecordStatus.ACTIVE
    assert {r.procedure for r in records if r.category is Category.ADMINISTRATIVE_PENALTY} == set(Procedure)
    assert {r.severity for r in records} == set(Severity)
    assert {r.kept for r in records if r.category is Category.CREDIT_COMMITMENT} == {True, False}
    assert any(r.category is Category.ADMINISTRATIVE_PENALTY and r.subject.id_number for r in records)
    assert any(r.received_at and (r.received_at.date() - r.decision_date).days > 14 for r in records)
    # Every status a provider imports; REVOKED comes only from a successful objection to the entry.
    assert {(e.kind, e.status) for e in big if isinstance(e, ListEntryInput)} == {
        (k, s) for k in ListKind for s in ListStatus if s is not ListStatus.REVOKED
    }
    numbers = {r.document_number for r in records}
    assert any("市监罚〔" in n for n in numbers) and any("执" in n and n.startswith("（") for n in numbers)


def test_the_batch_size_does_not_change_the_data() -> None:
    def content(plan: SeedPlan) -> list[list[Any]]:
        items = items_of(plan)
        kinds = (PersonInput, OrganizationInput, RecordInput, ListEntryInput)
        return [[i for i in items if isinstance(i, kind)] for kind in kinds]

    small, large = SeedPlan(seed=5, people=500, orgs=80, batch_size=70), SeedPlan(seed=5, people=500, orgs=80)
    assert small.batches == 8 and large.batches == 1
    assert content(small) == content(large)


def test_bad_plans_are_refused_with_the_field_named() -> None:
    with pytest.raises(InvalidInput, match="people"):
        SeedPlan(seed=1, people=0, orgs=1)
    with pytest.raises(InvalidInput, match="orgs"):
        SeedPlan(seed=1, people=1, orgs=-1)
    with pytest.raises(InvalidInput, match="seed"):
        SeedPlan(seed=-1, people=1, orgs=1)


# --- writing -------------------------------------------------------------------------------------


def test_same_seed_gives_the_same_database_and_another_seed_does_not(
    engine: Engine, other_engine: Engine, cipher: FieldCipher
) -> None:
    seed(engine, cipher)
    with background_batches(PLAN) as batches:  # the generator process, as the command uses it
        seed(other_engine, cipher, batches=batches)
    first, second = snapshot(engine, cipher), snapshot(other_engine, cipher)
    assert first == second
    assert len(first["persons"]) == 300
    # Ids are 128-bit hex, ordered by batch (the first 32 bits) so inserts stay local in the indexes.
    assert {len(sid) for sid in first["subjects"]} == {32}
    assert {int(sid[:8], 16) for sid in first["subjects"]} == set(range(PLAN.batches))
    with Session(other_engine) as s:
        every = (
            RecordLink,
            ListEntryRecord,
            ListEntry,
            CreditRecord,
            ResponsiblePerson,
            Organization,
            Person,
            Subject,
        )
        for model in every:  # children before the rows they refer to (PostgreSQL enforces the keys)
            s.execute(delete(model))
        s.commit()
    seed(other_engine, cipher, SeedPlan(seed=8, people=300, orgs=60, batch_size=120))
    third = snapshot(other_engine, cipher)
    assert not {p[1] for p in third["persons"].values()} & {p[1] for p in first["persons"].values()}
    assert by_natural_keys(third)["records"] != by_natural_keys(first)["records"]


def test_a_rerun_changes_nothing(engine: Engine, cipher: FieldCipher) -> None:
    thresholds = gc.get_threshold()
    first = seed(engine, cipher)
    assert gc.get_threshold() == thresholds  # relaxed while seeding only
    before = count_rows(engine)
    again = seed(engine, cipher)
    assert count_rows(engine) == before
    assert again.total(Outcome.UNCHANGED) == first.total(Outcome.CREATED) > 0
    assert again.total(Outcome.CREATED) == again.total(Outcome.UPDATED) == again.total(Outcome.REJECTED) == 0


def test_an_interrupted_run_completes_when_run_again(
    engine: Engine, other_engine: Engine, cipher: FieldCipher
) -> None:
    class Interrupted(Exception):
        pass

    def stop_after_first(_batch: object) -> None:
        raise Interrupted

    with pytest.raises(Interrupted):
        seed(engine, cipher, on_batch=stop_after_first)
    assert count_rows(engine)["persons"] == PLAN.batch_size
    resumed = seed(engine, cipher)
    first_batch = next(generate(PLAN)).items
    assert resumed.total(Outcome.UNCHANGED) == len(first_batch)
    seed(other_engine, cipher)
    assert snapshot(engine, cipher) == snapshot(other_engine, cipher)


def test_serious_dishonesty_of_a_company_reaches_its_seeded_legal_representative(
    engine: Engine, cipher: FieldCipher
) -> None:
    seed(engine, cipher)
    with Session(engine) as s:
        rows = s.execute(
            select(RecordLink.role, RecordLink.subject_id, Organization.legal_representative_id, CreditRecord)
            .join(CreditRecord, CreditRecord.id == RecordLink.record_id)
            .join(Organization, Organization.subject_id == CreditRecord.subject_id)
        ).all()
        people = set(s.scalars(select(Person.subject_id)))
    assert rows
    for role, linked, representative, _ in rows:
        assert role is LinkRole.LEGAL_REPRESENTATIVE and linked == representative and linked in people
    assert any(
        r.category is Category.ADMINISTRATIVE_PENALTY and r.severity is Severity.SERIOUS for *_, r in rows
    )


def test_list_entries_are_justified_by_records_of_their_subject(engine: Engine, cipher: FieldCipher) -> None:
    seed(engine, cipher)
    with Session(engine) as s:
        pairs = s.execute(
            select(ListEntry, CreditRecord)
            .join(ListEntryRecord, ListEntryRecord.list_entry_id == ListEntry.id)
            .join(CreditRecord, CreditRecord.id == ListEntryRecord.record_id)
        ).all()
        entries = s.scalar(select(func.count()).select_from(ListEntry))
    assert pairs and len(pairs) == entries
    for entry, record in pairs:
        assert entry.subject_id == record.subject_id
        assert entry.listed_on >= record.decision_date
        assert (entry.status is ListStatus.EXITED) == (entry.exited_on is not None)
        if entry.kind is ListKind.BLACK:
            assert record.severity is Severity.SERIOUS
            assert record.category in {Category.ADMINISTRATIVE_PENALTY, Category.DISHONEST_JUDGMENT_DEBTOR}
        else:
            assert record.category is Category.COMMENDATION


# --- command line --------------------------------------------------------------------------------


def seed_command(database_url: str, keyring: Path, *args: str) -> tuple[list[str], dict[str, str]]:
    env = os.environ | {"GATEWAY_DATABASE_URL": database_url, "GATEWAY_KEYRING": str(keyring)}
    return [str(Path(sys.executable).with_name("credit-gateway")), "seed", *args], env


def cli(database_url: str, keyring: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command, env = seed_command(database_url, keyring, *args)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_the_seed_command_writes_reports_and_reruns_unchanged(database_url: str, keyring_path: Path) -> None:
    first = cli(database_url, keyring_path, "--people", "200", "--orgs", "40", "--seed", "7")
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert any(line.split()[:3] == ["PERSON", "200", "200"] for line in lines), first.stdout
    assert any(line.split()[:3] == ["ORGANIZATION", "40", "40"] for line in lines)
    assert any(line.split()[:1] == ["GOVERNMENT_AFFAIRS_DISHONESTY"] for line in lines)
    assert "200 people in" in first.stdout and "people/s" in first.stdout and " 0 rejected" in first.stdout
    again = cli(database_url, keyring_path, "--people", "200", "--orgs", "40", "--seed", "7")
    assert again.returncode == 0, again.stderr
    assert any(line.split()[:5] == ["PERSON", "200", "0", "0", "200"] for line in again.stdout.splitlines())
    assert ": 0 created, 0 updated," in again.stdout


def test_the_seed_command_explains_a_missing_keyring_and_can_create_one(
    database_url: str, tmp_path: Path
) -> None:
    keyring = tmp_path / "keys" / "keyring.json"
    refused = cli(database_url, keyring, "--people", "5", "--orgs", "1")
    assert refused.returncode == 1
    assert "credit-gateway keys init" in refused.stderr and "--init-keys" in refused.stderr
    assert "Traceback" not in refused.stderr
    created = cli(database_url, keyring, "--people", "5", "--orgs", "1", "--init-keys")
    assert created.returncode == 0, created.stderr
    assert keyring.exists() and (keyring.stat().st_mode & 0o777) == 0o600


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--people", "0"], "people: must be between"),
        (["--as-of", "2026-13-01"], "asOf: must be a date"),
        (["--as-of", "2999-01-01"], "asOf: is in the future"),
    ],
)
def test_the_seed_command_refuses_bad_arguments_plainly(
    database_url: str, keyring_path: Path, args: list[str], message: str
) -> None:
    result = cli(database_url, keyring_path, *args)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr


# Runs the command with one change: after the first batch is committed and counted, it waits (as a
# slow batch would) and says so through a file, so the interrupt lands mid-run however busy the machine.
PAUSING_SEED = """
import pathlib, sys, time
import gateway.commands.seed as command
original, marker = command.run_seed, pathlib.Path(sys.argv[1])
def pausing(*args, on_batch, **kwargs):
    def after(batch):
        on_batch(batch)
        marker.touch()
        time.sleep(300)
    return original(*args, on_batch=after, **kwargs)
command.run_seed = pausing
sys.argv = ["credit-gateway", *sys.argv[2:]]
from gateway.commands.main import main
main()
"""


def test_an_interrupted_command_says_so_and_a_rerun_completes(
    database_url: str, keyring_path: Path, tmp_path: Path
) -> None:
    args = ["--people", "20000", "--orgs", "100", "--seed", "9", "--batch-size", "500"]
    command, env = seed_command(database_url, keyring_path, *args)
    paused = tmp_path / "first-batch-written"
    command = [sys.executable, "-c", PAUSING_SEED, str(paused), *command[1:]]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    engine = db.make_engine(database_url)

    def people() -> int:
        with Session(engine) as s:
            return s.scalar(select(func.count()).select_from(Person)) or 0

    try:
        deadline = time.monotonic() + 120
        while not paused.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)  # as Ctrl-C does, once the first batch is committed
        _, err = process.communicate(timeout=120)
        written = people()
    finally:
        engine.dispose()
    assert process.returncode == 130, err
    assert "interrupted after" in err and "run the same command again" in err and "Traceback" not in err
    assert 500 <= written < 20_000 and written % 500 == 0  # whole batches only
    rerun = cli(database_url, keyring_path, *args)
    assert rerun.returncode == 0, rerun.stderr
    row = next(line.split() for line in rerun.stdout.splitlines() if line.split()[:1] == ["PERSON"])
    assert row[1:5] == ["20,000", f"{20_000 - written:,}", "0", f"{written:,}"]


def test_the_seed_command_does_not_offer_to_replace_a_broken_keyring(
    database_url: str, tmp_path: Path
) -> None:
    keyring = tmp_path / "keyring.json"
    keyring.write_text("not a keyring", encoding="utf-8")
    result = cli(database_url, keyring, "--people", "5", "--orgs", "1", "--init-keys")
    assert result.returncode == 1
    assert "not a valid keyring" in result.stderr and "Traceback" not in result.stderr
    assert keyring.read_text(encoding="utf-8") == "not a keyring"


def _indexes(engine: Engine) -> set[tuple[Any, ...]]:
    with Session(engine) as s:
        people = s.execute(select(Person.subject_id, Person.id_number_bidx, Person.phone_bidx)).all()
        orgs = s.execute(select(Organization.subject_id, Organization.credit_code_bidx)).all()
    return {tuple(row) for row in people} | {tuple(row) for row in orgs}


def test_blind_indexes_drawn_with_the_batches_are_those_the_writer_computes(
    engine: Engine, other_engine: Engine, cipher: FieldCipher
) -> None:
    seed(engine, cipher)
    with background_batches(PLAN, cipher) as batches:
        seed(other_engine, cipher, batches=batches)
    assert snapshot(engine, cipher) == snapshot(other_engine, cipher)
    assert _indexes(engine) == _indexes(other_engine)
    with background_batches(PLAN, cipher) as batches:
        again = seed(other_engine, cipher, batches=batches)
    assert again.total(Outcome.CREATED) == again.total(Outcome.UPDATED) == 0


def test_blind_indexes_computed_under_another_key_are_not_used(
    engine: Engine, other_engine: Engine, cipher: FieldCipher
) -> None:
    (batch,) = generate(SeedPlan(seed=7, people=20, orgs=4))
    wrong = blind_indexes(batch.items, FieldCipher(Keyring.generate()))
    seed(engine, cipher, SeedPlan(seed=7, people=20, orgs=4))
    seed(
        other_engine,
        cipher,
        SeedPlan(seed=7, people=20, orgs=4),
        batches=[replace(batch, blind_indexes=wrong)],
    )
    assert _indexes(engine) == _indexes(other_engine)

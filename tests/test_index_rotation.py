"""Blind-index key rotation against a real database and a real keyring file
(``gateway.keys.index_rotation``): interrupted and resumed, lookups answering throughout."""

from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gateway.audit.pseudonyms import Pseudonyms
from gateway.errors import KeyringError
from gateway.keys.crypto import FieldCipher
from gateway.keys.index_rotation import index_status, rotate_index
from gateway.keys.keyring import Keyring, create_keyring_file, load_keyring, replace_keyring_file
from gateway.store import reads
from gateway.store.models import Organization, Person
from tests.population import person, populate, shop, write


class Interrupted(Exception):
    """Raised from the progress hook to stop a run between two committed batches."""


def _stop_after(batches: int) -> object:
    seen: list[int] = []

    def hook(rows: int) -> None:
        seen.append(rows)
        if len(seen) == batches:
            raise Interrupted

    return hook


def _indexes(engine: Engine) -> dict[str, tuple[object, ...]]:
    with engine.connect() as conn:
        people = conn.execute(select(Person.subject_id, Person.id_number_bidx, Person.phone_bidx)).all()
        shops = conn.execute(
            select(Organization.subject_id, Organization.credit_code_bidx).where(
                Organization.credit_code_bidx.is_not(None)
            )
        ).all()
    return {r[0]: tuple(r[1:]) for r in [*people, *shops]}


def _versions(engine: Engine) -> dict[int, int]:
    with engine.connect() as conn:
        rows = conn.execute(select(Person.index_version, func.count()).group_by(Person.index_version)).all()
        orgs = conn.execute(
            select(Organization.index_version, func.count())
            .where(Organization.index_version.is_not(None))
            .group_by(Organization.index_version)
        ).all()
    counts: dict[int, int] = {}
    for version, n in [*rows, *orgs]:
        counts[version] = counts.get(version, 0) + n
    return counts


def _every_lookup_answers(engine: Engine, cipher: FieldCipher, persons: int, shops: int) -> None:
    """Each person found by identity number, each business by credit code: the right row."""
    with Session(engine) as session:
        for n in range(persons):
            found = reads.find_person_id(session, cipher, person(n).id_number)
            assert found is not None, n
            view = reads.persons_by_id(session, cipher, [found])[found]
            assert view.id_number == person(n).id_number
        for n in range(shops):
            org = reads.find_organization(session, cipher, shop(n).credit_code)
            assert org is not None and org.credit_code == shop(n).credit_code


def _key_text(secret: object) -> str:
    return base64.b64encode(secret.reveal()).decode()  # type: ignore[attr-defined]


def test_index_rotation_recomputes_every_index_and_deletes_the_old_key(
    engine: Engine, cipher: FieldCipher, keyring: Keyring, keyring_path: Path
) -> None:
    populate(engine, cipher, persons=30, shops=3)
    before = _indexes(engine)

    result = rotate_index(keyring_path, engine, batch_size=7)

    assert (result.plan.version, result.plan.added, result.plan.pending) == (2, True, 33)
    assert (result.recomputed, result.remaining, result.retired) == (33, 0, 1)
    after = _indexes(engine)
    assert after.keys() == before.keys()
    assert all(after[rid][0] != before[rid][0] for rid in before)  # 2^-32 per row to coincide
    assert _versions(engine) == {2: 33}
    rotated = load_keyring(keyring_path)
    assert (rotated.index_version, rotated.previous_index) == (2, None)
    assert rotated.data_keys == keyring.data_keys and rotated.signing_keys == keyring.signing_keys
    assert rotated.audit_pseudonym_key == keyring.audit_pseudonym_key  # the audit log's key stays
    assert _key_text(keyring.index_key) not in keyring_path.read_text()
    _every_lookup_answers(engine, FieldCipher(rotated), persons=30, shops=3)
    with Session(engine) as session:  # the old key finds nobody any more
        assert reads.find_person_id(session, cipher, person(0).id_number) is None


def test_an_interrupted_index_rotation_resumes_and_lookups_answer_during_and_after(
    engine: Engine, cipher: FieldCipher, keyring: Keyring, keyring_path: Path
) -> None:
    populate(engine, cipher, persons=30, shops=3)
    with pytest.raises(Interrupted):
        rotate_index(keyring_path, engine, batch_size=5, on_batch=_stop_after(2))

    assert _versions(engine) == {2: 10, 1: 23}  # two whole batches, the rest untouched
    during = load_keyring(keyring_path)
    assert during.previous_index is not None and during.previous_index.version == 1
    assert during.previous_index.key == keyring.index_key
    both = FieldCipher(during)
    _every_lookup_answers(engine, both, persons=30, shops=3)
    status = index_status(during, engine)
    assert (status.version, status.previous, status.pending) == (2, 1, 23)

    # An import during the rotation finds a person not yet recomputed instead of filing a twin.
    write(engine, both, [dataclasses.replace(person(29), address="新地址1号")])
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Person)) == 30

    result = rotate_index(keyring_path, engine, batch_size=5)

    assert (result.plan.added, result.plan.version, result.retired, result.remaining) == (False, 2, 1, 0)
    assert result.recomputed == result.plan.pending
    assert _versions(engine) == {2: 33}
    done = load_keyring(keyring_path)
    assert done.previous_index is None and done.index_key == during.index_key
    assert _key_text(keyring.index_key) not in keyring_path.read_text()
    _every_lookup_answers(engine, FieldCipher(done), persons=30, shops=3)
    _every_lookup_answers(engine, both, persons=30, shops=3)  # a process still holding both keys


def test_add_only_keeps_the_old_key_until_a_later_run_recomputes(
    engine: Engine, cipher: FieldCipher, keyring: Keyring, keyring_path: Path
) -> None:
    populate(engine, cipher, persons=4, shops=1)
    added = rotate_index(keyring_path, engine, add_only=True)
    assert (added.plan.added, added.recomputed, added.remaining, added.retired) == (True, 0, 5, None)
    assert load_keyring(keyring_path).previous_index is not None
    # A process that loaded the keyring before the new key files a new person under the old key.
    write(engine, cipher, [person(4)])
    finished = rotate_index(keyring_path, engine)
    assert (finished.plan.added, finished.recomputed, finished.retired) == (False, 6, 1)
    _every_lookup_answers(engine, FieldCipher(load_keyring(keyring_path)), persons=5, shops=1)


def test_a_keyring_older_than_the_stored_indexes_is_refused_and_nothing_changes(
    engine: Engine, cipher: FieldCipher, keyring: Keyring, keyring_path: Path, tmp_path: Path
) -> None:
    populate(engine, cipher, persons=3, shops=0)
    outdated = tmp_path / "outdated.json"
    create_keyring_file(outdated, keyring)
    rotate_index(keyring_path, engine)
    before = _indexes(engine)
    with pytest.raises(KeyringError, match="newer than this keyring"):
        rotate_index(outdated, engine)
    assert _indexes(engine) == before
    assert load_keyring(outdated).index_version == 1


def test_a_keyring_older_than_the_pseudonym_key_keeps_its_audit_pseudonyms_across_rotation(
    engine: Engine, keyring_path: Path, tmp_path: Path
) -> None:
    # A keyring file written before audit pseudonyms had a key of their own.
    legacy = dataclasses.replace(Keyring.generate(), audit_pseudonym_key=None)
    path = tmp_path / "legacy.json"
    create_keyring_file(path, legacy)
    assert "audit_pseudonym_key" not in json.loads(path.read_text())
    old = FieldCipher(load_keyring(path))
    populate(engine, old, persons=3, shops=0)
    number = person(0).id_number
    before = Pseudonyms(old, load_keyring(path).pseudonym_key).id_number(number)
    assert before == Pseudonyms(old, legacy.index_key).id_number(number)  # what the log holds

    rotate_index(path, engine)

    rotated = load_keyring(path)
    after = Pseudonyms(FieldCipher(rotated), rotated.pseudonym_key)
    assert after.id_number(number) == before  # the auditor's search finds the old events
    assert rotated.index_key != legacy.index_key and rotated.audit_pseudonym_key == legacy.index_key
    _every_lookup_answers(engine, FieldCipher(rotated), persons=3, shops=0)


def test_a_new_index_key_is_refused_while_the_previous_one_is_kept(keyring: Keyring, tmp_path: Path) -> None:
    rotating = keyring.with_new_index_key()
    with pytest.raises(KeyringError, match="unfinished"):
        rotating.with_new_index_key()
    path = tmp_path / "keyring.json"
    create_keyring_file(path, rotating)
    loaded = load_keyring(path)
    assert loaded == rotating
    replace_keyring_file(path, loaded.without_previous_index_key())
    assert "previous_index_key" not in json.loads(path.read_text())

"""Key rotation against a real database and a real keyring file, through ``gateway.keys.rotation``."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from gateway.errors import DecryptionFailed, KeyringError
from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import Keyring, keyring_lock, load_keyring, replace_keyring_file
from gateway.keys.rotation import reencrypt, rotate
from gateway.keys.usage import encrypted_tables, key_status, prune_unused_versions
from gateway.store.inputs import PersonInput
from gateway.store.models import Organization, Person
from tests.population import populate, read_back, write


class Interrupted(Exception):
    """Raised from the progress hook to stop a run between two committed batches."""


class StopAfter:
    """Progress hook that records each committed batch and interrupts the run after ``batches``."""

    def __init__(self, batches: int) -> None:
        self.batches = batches
        self.seen: list[int] = []

    def __call__(self, rows: int) -> None:
        self.seen.append(rows)
        if len(self.seen) == self.batches:
            raise Interrupted


def _current_cipher(keyring_path: Path) -> FieldCipher:
    return FieldCipher(load_keyring(keyring_path))


def _blind_indexes(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        people = conn.execute(
            select(Person.subject_id, Person.id_number_bidx, Person.phone_bidx).order_by(Person.subject_id)
        ).all()
        orgs = conn.execute(
            select(Organization.subject_id, Organization.credit_code_bidx).order_by(Organization.subject_id)
        ).all()
    return [tuple(r) for r in [*people, *orgs]]


def test_encrypted_columns_are_read_off_the_models() -> None:
    found = {(t.name, t.key, t.columns) for t in encrypted_tables()}
    person_columns = (
        "name_enc",
        "id_number_enc",
        "phone_enc",
        "address_enc",
        "health_status_enc",
        "religion_enc",
    )
    assert found == {
        ("persons", "subject_id", person_columns),
        ("organizations", "subject_id", ("credit_code_enc", "name_enc")),
        # Free text about natural persons (gateway.store.free_text).
        ("credit_records", "id", ("content_enc",)),
        ("list_entries", "id", ("reason_enc",)),
    }


def test_rotation_keeps_every_value_and_moves_every_row_to_the_new_version(
    engine: Engine, cipher: FieldCipher, keyring: Keyring, keyring_path: Path
) -> None:
    stored = populate(engine, cipher, persons=40, shops=3)
    indexes = _blind_indexes(engine)
    result = rotate(keyring_path, engine, batch_size=7)

    assert (result.plan.version, result.plan.added, result.plan.pending) == (2, True, 43)
    assert (result.rotated, result.remaining) == (43, 0)
    rotated = load_keyring(keyring_path)
    assert sorted(rotated.data_keys) == [1, 2]
    assert rotated.data_keys[1] == keyring.data_keys[1]
    assert rotated.index_key == keyring.index_key
    back = read_back(engine, FieldCipher(rotated))
    assert back.plaintexts == stored.plaintexts
    assert set(back.row_versions.values()) == {2}
    assert set(back.value_versions.values()) == {2}
    assert _blind_indexes(engine) == indexes
    with engine.connect() as conn:  # the company's public code stays in clear and out of rotation
        company = conn.execute(select(Organization).where(Organization.credit_code.is_not(None))).one()
    assert company.key_version is None and company.credit_code_enc is None


def test_values_written_after_rotation_use_the_new_key_and_a_second_rotation_adds_version_three(
    engine: Engine, cipher: FieldCipher, keyring_path: Path
) -> None:
    populate(engine, cipher, persons=5)
    rotate(keyring_path, engine)
    write(engine, _current_cipher(keyring_path), [PersonInput(name="后来者", id_number="530102199001011232")])
    second = rotate(keyring_path, engine)
    assert (second.plan.version, second.plan.added, second.rotated) == (3, True, 8)
    assert set(read_back(engine, _current_cipher(keyring_path)).row_versions.values()) == {3}


def test_add_only_leaves_every_row_alone_and_the_next_run_reencrypts_without_another_version(
    engine: Engine, cipher: FieldCipher, keyring_path: Path
) -> None:
    stored = populate(engine, cipher, persons=5, shops=2)
    before = read_raw(engine)
    added = rotate(keyring_path, engine, add_only=True)
    assert (added.plan.added, added.plan.version, added.rotated, added.remaining) == (True, 2, 0, 7)
    assert read_raw(engine) == before
    again = rotate(keyring_path, engine, add_only=True)
    assert (again.plan.added, again.plan.version, again.remaining) == (False, 2, 7)

    done = rotate(keyring_path, engine)
    assert (done.plan.added, done.plan.version, done.rotated, done.remaining) == (False, 2, 7, 0)
    assert sorted(load_keyring(keyring_path).data_keys) == [1, 2]
    assert read_back(engine, _current_cipher(keyring_path)).plaintexts == stored.plaintexts


def test_an_interrupted_rotation_is_finished_by_the_next_run_with_nothing_lost(
    engine: Engine, cipher: FieldCipher, keyring_path: Path
) -> None:
    stored = populate(engine, cipher, persons=50, shops=2)
    stop = StopAfter(2)
    with pytest.raises(Interrupted):
        rotate(keyring_path, engine, batch_size=10, on_batch=stop)

    halfway = read_back(engine, _current_cipher(keyring_path))
    assert halfway.plaintexts == stored.plaintexts
    done_first = sum(stop.seen)
    assert 0 < done_first < 52
    assert list(halfway.row_versions.values()).count(2) == done_first
    for (table, rid, _column), version in halfway.value_versions.items():
        assert version == halfway.row_versions[(table, rid)], "a row is half re-encrypted"

    resumed = rotate(keyring_path, engine, batch_size=10)
    left = 52 - done_first
    assert (resumed.plan.version, resumed.plan.added, resumed.plan.pending) == (2, False, left)
    assert (resumed.rotated, resumed.remaining) == (left, 0)
    assert sorted(load_keyring(keyring_path).data_keys) == [1, 2]
    done = read_back(engine, _current_cipher(keyring_path))
    assert done.plaintexts == stored.plaintexts
    assert set(done.row_versions.values()) == set(done.value_versions.values()) == {2}


def test_a_value_that_does_not_authenticate_stops_the_run_and_its_batch_stays_unwritten(
    engine: Engine, cipher: FieldCipher, keyring_path: Path
) -> None:
    stored = populate(engine, cipher, persons=12, shops=0)
    donor, victim = sorted(stored.person_ids)[:2]
    with engine.begin() as conn:
        donor_name = conn.scalar(select(Person.name_enc).where(Person.subject_id == donor))
        conn.execute(update(Person).where(Person.subject_id == victim).values(name_enc=donor_name))
    before = read_raw(engine)

    with pytest.raises(DecryptionFailed) as caught:
        rotate(keyring_path, engine, batch_size=100)
    message = str(caught.value)
    assert caught.value.code == "DECRYPTION_FAILED"
    assert f"persons row {victim}, column name_enc" in message
    assert stored.plaintexts[("persons", donor, "name_enc")] not in message
    assert bytes(donor_name).hex() not in message and donor not in message
    assert read_raw(engine) == before

    # The version was added before the failure; a re-run finishes that rotation, never stacks another.
    with pytest.raises(DecryptionFailed):
        rotate(keyring_path, engine, batch_size=100)
    assert sorted(load_keyring(keyring_path).data_keys) == [1, 2]


def test_earlier_batches_stay_rotated_when_a_later_row_fails(
    engine: Engine, cipher: FieldCipher, keyring_path: Path
) -> None:
    stored = populate(engine, cipher, persons=12, shops=0)
    ordered = sorted(stored.person_ids)
    with engine.begin() as conn:
        foreign = conn.scalar(select(Person.name_enc).where(Person.subject_id == ordered[0]))
        conn.execute(update(Person).where(Person.subject_id == ordered[-2]).values(name_enc=foreign))
    with pytest.raises(DecryptionFailed, match=ordered[-2]):
        rotate(keyring_path, engine, batch_size=4)
    with engine.connect() as conn:
        versions = dict(conn.execute(select(Person.subject_id, Person.key_version)).all())
    assert [versions[sid] for sid in ordered] == [2] * 8 + [1] * 4


def test_a_ciphertext_copied_between_rows_still_fails_after_rotation(
    engine: Engine, cipher: FieldCipher, keyring_path: Path
) -> None:
    stored = populate(engine, cipher, persons=2, shops=0)
    rotate(keyring_path, engine)
    first, second = stored.person_ids
    with engine.begin() as conn:
        moved = conn.scalar(select(Person.id_number_enc).where(Person.subject_id == first))
        conn.execute(update(Person).where(Person.subject_id == second).values(id_number_enc=moved))
    rotated = _current_cipher(keyring_path)
    assert rotated.decrypt(moved, table="persons", column="id_number_enc", row=first)
    with pytest.raises(DecryptionFailed):
        rotated.decrypt(moved, table="persons", column="id_number_enc", row=second)
    with pytest.raises(DecryptionFailed):
        rotated.decrypt(moved, table="persons", column="phone_enc", row=first)


def test_an_outdated_keyring_is_refused_and_left_unchanged(
    engine: Engine, cipher: FieldCipher, keyring: Keyring, keyring_path: Path
) -> None:
    populate(engine, cipher, persons=3)
    rotate(keyring_path, engine)
    replace_keyring_file(keyring_path, keyring)  # restored from a backup made before the rotation
    before = keyring_path.read_bytes()
    with pytest.raises(KeyringError, match=r"key version\(s\) 2.*outdated"):
        rotate(keyring_path, engine)
    assert keyring_path.read_bytes() == before


def test_rotation_waits_for_no_one_while_another_holds_the_keyring(
    engine: Engine, cipher: FieldCipher, keyring_path: Path
) -> None:
    populate(engine, cipher, persons=3)
    before = keyring_path.read_bytes()
    with keyring_lock(keyring_path), pytest.raises(KeyringError, match="another command"):
        rotate(keyring_path, engine)
    assert keyring_path.read_bytes() == before


class _InterleavedWriter(FieldCipher):
    """A real cipher beside which a real writer (holding the old keyring) rewrites one person in its
    own transaction, between the rotation's read of the batch and its write."""

    def __init__(self, keyring: Keyring, engine: Engine, old: FieldCipher, target: PersonInput) -> None:
        super().__init__(keyring)
        self._pending = [(engine, old, target)]

    def decrypt(self, blob: bytes, *, table: str, column: str, row: str) -> str:
        if self._pending:
            engine, old, target = self._pending.pop()
            write(engine, old, [target])
        return super().decrypt(blob, table=table, column=column, row=row)


def test_a_row_rewritten_during_its_batch_keeps_the_new_value_and_is_rotated_by_another_pass(
    engine: Engine, cipher: FieldCipher, keyring: Keyring
) -> None:
    stored = populate(engine, cipher, persons=6, shops=0)
    moved = PersonInput(name="欧阳锦绣0", id_number="530102196001010008", address="云南省大理市洱海路1号")
    assert stored.plaintexts[("persons", stored.person_ids[0], "id_number_enc")] == moved.id_number
    rotated = keyring.with_new_version()

    count = reencrypt(engine, _InterleavedWriter(rotated, engine, cipher, moved), version=2, batch_size=100)

    back = read_back(engine, FieldCipher(rotated))
    assert back.plaintexts[("persons", stored.person_ids[0], "address_enc")] == "云南省大理市洱海路1号"
    assert set(back.row_versions.values()) == {2}
    assert count == 6  # five in the first pass, the rewritten one in the second


def test_status_counts_rows_per_version_while_a_rotation_is_unfinished(
    engine: Engine, cipher: FieldCipher, keyring_path: Path
) -> None:
    populate(engine, cipher, persons=10, shops=2)
    stop = StopAfter(2)
    with pytest.raises(Interrupted):
        rotate(keyring_path, engine, batch_size=4, on_batch=stop)
    report = key_status(load_keyring(keyring_path), engine)
    assert (report.versions, report.current, report.missing) == ((1, 2), 2, ())
    assert report.pending == 12 - sum(stop.seen) > 0
    persons, orgs = report.counts["persons"], report.counts["organizations"]
    assert sum(persons.values()) == 10 and sum(orgs.values()) == 2
    assert persons.get(2, 0) + orgs.get(2, 0) == sum(stop.seen)


def test_prune_keeps_versions_in_use_and_drops_the_rest_only_when_told(
    engine: Engine, cipher: FieldCipher, keyring: Keyring, keyring_path: Path
) -> None:
    stored = populate(engine, cipher, persons=6)
    with pytest.raises(Interrupted):
        rotate(keyring_path, engine, batch_size=2, on_batch=StopAfter(1))
    assert prune_unused_versions(keyring_path, engine, apply=True).dropped == ()
    rotate(keyring_path, engine)

    listed = prune_unused_versions(keyring_path, engine, apply=False)
    assert (listed.dropped, listed.applied) == ((1,), False)
    assert sorted(load_keyring(keyring_path).data_keys) == [1, 2]
    pruned = prune_unused_versions(keyring_path, engine, apply=True)
    assert (pruned.dropped, pruned.kept, pruned.applied) == ((1,), (2,), True)
    assert read_back(engine, _current_cipher(keyring_path)).plaintexts == stored.plaintexts
    assert stat.S_IMODE(keyring_path.stat().st_mode) == 0o600


def test_prune_trusts_the_key_version_in_each_value_over_the_row_column(
    engine: Engine, cipher: FieldCipher, keyring_path: Path
) -> None:
    stored = populate(engine, cipher, persons=2, shops=0)
    rotate(keyring_path, engine)
    sid = stored.person_ids[0]
    old_seal = cipher.encrypt("欧阳锦绣0", table="persons", column="name_enc", row=sid, version=1)
    with engine.begin() as conn:  # a valid version-1 value in a row that says it is on version 2
        conn.execute(update(Person).where(Person.subject_id == sid).values(name_enc=old_seal))
    assert prune_unused_versions(keyring_path, engine, apply=True).dropped == ()
    assert (
        read_back(engine, _current_cipher(keyring_path)).plaintexts[("persons", sid, "name_enc")]
        == "欧阳锦绣0"
    )


def read_raw(engine: Engine) -> dict[tuple[str, str, str], bytes]:
    """Every stored ciphertext and row version, byte for byte (no decryption)."""
    raw: dict[tuple[str, str, str], bytes] = {}
    with engine.connect() as conn:
        for enc in encrypted_tables():
            t = enc.table
            for row in conn.execute(select(t.c[enc.key], t.c.key_version, *(t.c[c] for c in enc.columns))):
                raw[(enc.name, row[0], "key_version")] = str(row.key_version).encode()
                for column in enc.columns:
                    value = row._mapping[column]
                    raw[(enc.name, row[0], column)] = b"" if value is None else bytes(value)
    return raw

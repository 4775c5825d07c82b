"""``credit-gateway keys rotate-index`` as a real subprocess: stopped after its first committed batch
(deterministically, by its test hook), resumed, and the old key gone from the keyring file."""

from __future__ import annotations

import base64
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import Keyring, load_keyring
from gateway.store import reads
from gateway.store.models import Person
from tests.cli import run_cli
from tests.population import person, populate


def _on_new_key(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).where(Person.index_version == 2)) or 0)


def test_an_interrupted_rotate_index_says_so_and_a_rerun_finishes_and_deletes_the_old_key(
    engine: Engine, cipher: FieldCipher, keyring: Keyring, keyring_path: Path, migrated_url: str
) -> None:
    populate(engine, cipher, persons=12, shops=1)
    old_key = base64.b64encode(keyring.index_key.reveal()).decode()
    args = ("keys", "rotate-index", "--batch-size", "5")

    stopped = run_cli(
        *args, keyring=keyring_path, database_url=migrated_url, test_index_rotation_stop_after="1"
    )

    assert stopped.returncode == 130, stopped.stderr
    assert "added index key version 2" in stopped.stderr
    assert "interrupted after a committed batch" in stopped.stderr and "Traceback" not in stopped.stderr
    assert _on_new_key(engine) == 5  # exactly one whole batch
    assert old_key in keyring_path.read_text()  # kept: rows not yet recomputed are found under it
    status = run_cli("keys", "status", keyring=keyring_path, database_url=migrated_url)
    assert "index key version: 2, previous 1 kept" in status.stdout
    assert "index rotation unfinished: 8 rows below index version 2" in status.stdout

    rerun = run_cli(*args, keyring=keyring_path, database_url=migrated_url)

    assert rerun.returncode == 0, rerun.stderr
    assert "unfinished (8 rows on older keys): finishing it; no new key added" in rerun.stderr
    assert "index key version 1 deleted from" in rerun.stderr
    assert old_key not in keyring_path.read_text() and old_key not in rerun.stderr + rerun.stdout
    assert _on_new_key(engine) == 12
    rotated = FieldCipher(load_keyring(keyring_path))
    with Session(engine) as session:
        for n in range(12):
            assert reads.find_person_id(session, rotated, person(n).id_number) is not None
    status = run_cli("keys", "status", keyring=keyring_path, database_url=migrated_url)
    assert "index key version: 2\n" in status.stdout and "unfinished" not in status.stdout

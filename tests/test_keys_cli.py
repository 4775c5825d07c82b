"""``credit-gateway keys`` run as a real subprocess against a real database and keyring file."""

from __future__ import annotations

import base64
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import load_keyring
from gateway.store.models import Person
from tests.population import populate, read_back

CLI = str(Path(sys.executable).with_name("credit-gateway"))


def _env(url: str, keyring_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    # A wide terminal keeps each message on one line, so the assertions can read it.
    return env | {"GATEWAY_DATABASE_URL": url, "GATEWAY_KEYRING": str(keyring_path), "COLUMNS": "400"}


def run(url: str, keyring_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, "keys", *args],
        env=_env(url, keyring_path),
        cwd=keyring_path.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _key_renderings(keyring_path: Path) -> list[str]:
    keyring = load_keyring(keyring_path)
    secrets = [k.reveal() for k in keyring.data_keys.values()] + [keyring.index_key.reveal()]
    forms = []
    for raw in secrets:
        forms += [base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode(), raw.hex()]
        forms += [raw.hex().upper(), base64.b64encode(raw).decode()[:16]]
    return forms


def test_cli_output_never_shows_key_material_and_the_keyring_stays_private(
    migrated_url: str, engine: Engine, tmp_path: Path
) -> None:
    keyring_path = tmp_path / "new-keyring.json"
    outputs = [run(migrated_url, keyring_path, "init")]
    cipher = FieldCipher(load_keyring(keyring_path))
    stored = populate(engine, cipher, persons=30, shops=2)
    outputs.append(run(migrated_url, keyring_path, "rotate", "--add-only"))
    outputs.append(run(migrated_url, keyring_path, "rotate", "--batch-size", "8"))
    renderings = _key_renderings(keyring_path)  # versions 1 and 2 and the index key
    outputs += [run(migrated_url, keyring_path, "status"), run(migrated_url, keyring_path, "prune")]
    outputs.append(run(migrated_url, keyring_path, "prune", "--yes"))

    assert [o.returncode for o in outputs] == [0] * 6, [o.stderr for o in outputs]
    text = "\n".join(o.stdout + o.stderr for o in outputs)
    for secret in renderings:
        assert secret not in text
    assert "added data key version 2" in outputs[1].stderr
    assert "32 rows wait on older versions" in outputs[1].stderr
    assert "a rotation to key version 2 is unfinished (32 rows" in outputs[2].stderr
    assert "re-encrypted 32 rows under key version 2" in outputs[2].stderr
    assert "keyring versions: 1, 2 (current 2)" in outputs[3].stdout
    assert "every encrypted row is on version 2" in outputs[3].stdout
    assert "dropped key version(s) 1" in outputs[5].stderr
    assert stat.S_IMODE(keyring_path.stat().st_mode) == 0o600
    assert read_back(engine, FieldCipher(load_keyring(keyring_path))).plaintexts == stored.plaintexts


def test_a_tampered_row_fails_the_cli_run_with_decryption_failed_naming_the_row(
    migrated_url: str, engine: Engine, cipher: FieldCipher, keyring_path: Path
) -> None:
    stored = populate(engine, cipher, persons=4, shops=0)
    donor, victim = stored.person_ids[:2]
    with engine.begin() as conn:
        phone = conn.scalar(select(Person.id_number_enc).where(Person.subject_id == donor))
        conn.execute(update(Person).where(Person.subject_id == victim).values(id_number_enc=phone))

    failed = run(migrated_url, keyring_path, "rotate")

    assert failed.returncode == 1
    assert f"error [DECRYPTION_FAILED]: persons row {victim}, column id_number_enc" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert stored.plaintexts[("persons", donor, "id_number_enc")] not in failed.stdout + failed.stderr


def test_a_rotation_killed_mid_run_is_finished_by_the_next_run_with_every_value_intact(
    migrated_url: str, engine: Engine, cipher: FieldCipher, keyring_path: Path, tmp_path: Path
) -> None:
    stored = populate(engine, cipher, persons=1_500, shops=0)
    total = len(stored.person_ids)
    log = (tmp_path / "rotate.log").open("w")
    # One row per transaction makes the run long enough to be caught halfway.
    proc = subprocess.Popen(
        [CLI, "keys", "rotate", "--batch-size", "1"],
        env=_env(migrated_url, keyring_path),
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    moved = 0
    deadline = time.monotonic() + 60
    with engine.connect() as conn:
        while moved < 10 and proc.poll() is None and time.monotonic() < deadline:
            moved = conn.scalar(select(func.count()).where(Person.key_version == 2)) or 0
            conn.rollback()
            time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    log.close()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be interrupted"

    rotated = FieldCipher(load_keyring(keyring_path))
    halfway = read_back(engine, rotated)
    on_new = list(halfway.row_versions.values()).count(2)
    assert 0 < on_new < total
    assert halfway.plaintexts == stored.plaintexts
    status = run(migrated_url, keyring_path, "status")
    assert f"rotation unfinished: {total - on_new} rows below version 2" in status.stdout

    resumed = run(migrated_url, keyring_path, "rotate", "--batch-size", "500")
    assert resumed.returncode == 0, resumed.stderr
    assert f"a rotation to key version 2 is unfinished ({total - on_new} rows" in resumed.stderr
    assert "no new version added" in resumed.stderr
    assert sorted(load_keyring(keyring_path).data_keys) == [1, 2]
    done = read_back(engine, rotated)
    assert done.plaintexts == stored.plaintexts
    assert set(done.row_versions.values()) == set(done.value_versions.values()) == {2}
    assert stat.S_IMODE(keyring_path.stat().st_mode) == 0o600


@pytest.mark.parametrize("command", ["rotate", "status", "prune"])
def test_commands_on_a_database_without_the_schema_say_to_upgrade_it(
    tmp_path: Path, keyring_path: Path, command: str
) -> None:
    result = run(f"sqlite:///{tmp_path / 'empty.db'}", keyring_path, command)
    assert result.returncode == 1
    assert "run 'credit-gateway db upgrade' first" in result.stderr
    assert "Traceback" not in result.stderr

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from gateway.errors import KeyringError
from gateway.keys.keyring import (
    Keyring,
    create_keyring_file,
    keyring_lock,
    load_keyring,
    replace_keyring_file,
)


def test_keyring_file_is_private_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "keyring.json"
    written = create_keyring_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = load_keyring(path)
    assert loaded.data_keys == written.data_keys
    assert loaded.index_key == written.index_key


def test_existing_keyring_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    create_keyring_file(path)
    before = path.read_bytes()
    with pytest.raises(KeyringError, match="refusing to overwrite"):
        create_keyring_file(path)
    assert path.read_bytes() == before


def test_replacement_keeps_old_versions_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    original = create_keyring_file(path)
    rotated = original.with_new_version()
    replace_keyring_file(path, rotated)
    loaded = load_keyring(path)
    assert sorted(loaded.data_keys) == [1, 2]
    assert loaded.data_keys[1] == original.data_keys[1]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_replacement_over_a_stale_world_readable_temp_file_stays_private(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    original = create_keyring_file(path)
    stale = tmp_path / "keyring.json.tmp"
    stale.write_text("left by a crash")
    stale.chmod(0o644)
    replace_keyring_file(path, original.with_new_version())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(load_keyring(path).data_keys) == [1, 2]
    assert not stale.exists()


def test_a_second_keyring_change_is_refused_while_one_holds_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    create_keyring_file(path)
    with keyring_lock(path):
        with pytest.raises(KeyringError, match="another command"), keyring_lock(path):
            pass
    with keyring_lock(path):  # released again
        pass


def test_locking_a_missing_keyring_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="keys init"), keyring_lock(tmp_path / "absent.json"):
        pass


@pytest.mark.parametrize("content", ["", "{}", '{"format": 1}', "not json", '{"format": 9, "data_keys": {}}'])
def test_broken_keyring_files_are_refused_without_leaking(tmp_path: Path, content: str) -> None:
    path = tmp_path / "keyring.json"
    path.write_text(content)
    with pytest.raises(KeyringError):
        load_keyring(path)


def test_missing_keyring_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="keys init"):
        load_keyring(tmp_path / "absent.json")


def test_generated_keys_differ() -> None:
    assert Keyring.generate().index_key != Keyring.generate().index_key

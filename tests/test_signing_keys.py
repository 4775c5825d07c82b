from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from gateway.errors import KeyringError
from gateway.keys.keyring import (
    Keyring,
    SigningPurpose,
    create_keyring_file,
    load_keyring,
    replace_keyring_file,
)


def test_generated_keyring_has_one_signing_key_per_purpose(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    written = create_keyring_file(path)
    assert sorted(written.signing_keys) == ["audit-1", "consent-1", "report-1", "token-1"]
    assert written.signing_keys["audit-1"] != written.signing_keys["token-1"]
    assert load_keyring(path).signing_keys == written.signing_keys


def test_keyring_written_before_signing_keys_still_loads(tmp_path: Path) -> None:
    old = Keyring.generate()
    doc = json.loads(old.to_json())
    del doc["signing_keys"]
    path = tmp_path / "keyring.json"
    path.write_text(json.dumps(doc))
    loaded = load_keyring(path)
    assert loaded.data_keys == old.data_keys
    assert loaded.signing_keys == {}
    with pytest.raises(KeyringError, match="add-signing-key --purpose token"):
        loaded.current_signing_kid(SigningPurpose.TOKEN)


def test_adding_a_signing_key_makes_it_current_and_keeps_the_others(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    original = create_keyring_file(path)
    replace_keyring_file(path, original.with_signing_key(SigningPurpose.TOKEN).with_new_version())
    loaded = load_keyring(path)
    assert loaded.signing_kids(SigningPurpose.TOKEN) == ["token-1", "token-2"]
    assert loaded.current_signing_kid(SigningPurpose.TOKEN) == "token-2"
    assert loaded.current_signing_kid(SigningPurpose.AUDIT) == "audit-1"
    assert loaded.signing_keys["token-1"] == original.signing_keys["token-1"]
    assert loaded.signing_keys["token-2"] != original.signing_keys["token-1"]


def test_signing_key_numbers_sort_numerically() -> None:
    keyring = Keyring.generate()
    for _ in range(10):
        keyring = keyring.with_signing_key(SigningPurpose.TOKEN)
    assert keyring.current_signing_kid(SigningPurpose.TOKEN) == "token-11"


@pytest.mark.parametrize(
    "signing_keys",
    [
        {"token": "AAAA"},  # no number
        {"Token-1": None},  # upper case; value is replaced below
        {"token-0": None},
        {"token-1": "c2hvcnQ="},  # 5 bytes, not 32
        [],
    ],
)
def test_bad_signing_keys_are_refused(tmp_path: Path, signing_keys: object) -> None:
    doc = json.loads(Keyring.generate().to_json())
    if isinstance(signing_keys, dict):
        good = base64.b64encode(bytes(32)).decode()
        signing_keys = {kid: value or good for kid, value in signing_keys.items()}
    doc["signing_keys"] = signing_keys
    path = tmp_path / "keyring.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(KeyringError):
        load_keyring(path)


def test_keyring_repr_shows_key_ids_but_no_key_material() -> None:
    keyring = Keyring.generate()
    text = repr(keyring)
    assert "token-1" in text
    for secret in [keyring.index_key, *keyring.data_keys.values(), *keyring.signing_keys.values()]:
        raw = secret.reveal()
        assert raw.hex() not in text
        assert base64.b64encode(raw).decode() not in text


def test_rebuilding_a_keyring_must_say_what_becomes_of_its_signing_keys() -> None:
    keyring = Keyring.generate()
    with pytest.raises(TypeError, match="signing_keys"):
        Keyring(data_keys=keyring.data_keys, index_key=keyring.index_key)  # type: ignore[call-arg]
    rotated = keyring.with_new_version()
    assert rotated.signing_keys == keyring.signing_keys

from __future__ import annotations

import base64
import json
from pathlib import Path

from gateway.keys.keyring import Keyring, SigningPurpose, load_keyring
from tests.cli import run_cli


def test_keys_jwks_prints_public_keys_and_no_private_material(keyring: Keyring, keyring_path: Path) -> None:
    result = run_cli("keys", "jwks", keyring=keyring_path)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert [k["kid"] for k in document["keys"]] == ["token-1", "audit-1", "consent-1", "report-1"]
    assert all("d" not in k for k in document["keys"])
    for secret in [keyring.index_key, *keyring.data_keys.values(), *keyring.signing_keys.values()]:
        raw = secret.reveal()
        for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw).rstrip(b"=")):
            assert encoded.decode() not in result.stdout + result.stderr


def test_keys_jwks_of_one_purpose(keyring_path: Path) -> None:
    result = run_cli("keys", "jwks", "--purpose", "audit", keyring=keyring_path)
    assert result.returncode == 0, result.stderr
    assert [k["kid"] for k in json.loads(result.stdout)["keys"]] == ["audit-1"]


def test_add_signing_key_appends_the_next_key_of_its_purpose(keyring: Keyring, keyring_path: Path) -> None:
    result = run_cli("keys", "add-signing-key", "--purpose", "token", keyring=keyring_path)
    assert result.returncode == 0, result.stderr
    assert "token-2" in result.stderr
    loaded = load_keyring(keyring_path)
    assert loaded.signing_kids(SigningPurpose.TOKEN) == ["token-1", "token-2"]
    assert loaded.signing_keys["token-1"] == keyring.signing_keys["token-1"]
    assert loaded.data_keys == keyring.data_keys


def test_add_signing_key_refuses_an_unknown_purpose(keyring: Keyring, keyring_path: Path) -> None:
    before = keyring_path.read_bytes()
    result = run_cli("keys", "add-signing-key", "--purpose", "anything", keyring=keyring_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert keyring_path.read_bytes() == before


def test_keys_jwks_without_a_keyring_says_how_to_create_one(tmp_path: Path) -> None:
    result = run_cli("keys", "jwks", keyring=tmp_path / "absent.json")
    assert result.returncode == 1
    assert "KEYRING_ERROR" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""

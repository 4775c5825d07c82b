from __future__ import annotations

import base64
from pathlib import Path

import pytest

from gateway.access.authentication import TokenVerifier
from gateway.access.tokens import Role
from gateway.domain import AgencyKind
from gateway.keys.keyring import Keyring, create_keyring_file, load_keyring
from gateway.settings import Settings
from tests.cli import run_cli
from tests.forge import ORG, PERSON
from tests.helpers import id_number

ROLE_OPTIONS = {
    Role.PARTNER: ["--org", ORG, "--agency-kind", "COURT"],
    Role.PROVIDER: ["--org", ORG.lower()],
    Role.INDIVIDUAL: ["--person-id", PERSON],
    Role.ENTERPRISE: ["--org", ORG],
    Role.AUDITOR: ["--subject", "auditor-3"],
    Role.ADMIN: ["--subject", "ops", "--ttl", "60"],
}


def verifier_for(keyring_path: Path, **settings: object) -> TokenVerifier:
    config = Settings(keyring_path=keyring_path).with_overrides(**settings)
    return TokenVerifier.from_settings(config, load_keyring(keyring_path))


@pytest.mark.parametrize("role", list(ROLE_OPTIONS))
def test_token_issue_prints_one_token_that_verifies(role: Role, keyring_path: Path) -> None:
    result = run_cli("token", "issue", "--role", str(role), *ROLE_OPTIONS[role], keyring=keyring_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    token = lines[0]
    caller = verifier_for(keyring_path).verify(token)
    assert caller.role is role
    assert caller.issuer == "credit-gateway"
    assert caller.token_id is not None and caller.token_id in result.stderr
    assert token not in result.stderr
    if role is Role.PARTNER:
        assert (caller.org_code, caller.agency_kind, caller.id) == (ORG, AgencyKind.COURT, ORG)
    if role is Role.INDIVIDUAL:
        assert (caller.person_id, caller.id) == (PERSON, PERSON)
    if role is Role.ENTERPRISE:
        assert (caller.org_code, caller.agency_kind, caller.person_id, caller.id) == (ORG, None, None, ORG)


def test_token_issue_uses_the_configured_issuer_id_and_lifetime(keyring_path: Path) -> None:
    result = run_cli(
        "token", "issue", "--role", "admin", "--subject", "ops", "--ttl", "120",
        keyring=keyring_path, issuer_id="https://credit.example",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    caller = verifier_for(keyring_path, issuer_id="https://credit.example").verify(result.stdout.strip())
    assert caller.issuer == "https://credit.example"
    assert caller.expires_at is not None
    with pytest.raises(Exception, match="issuer"):
        verifier_for(keyring_path).verify(result.stdout.strip())


def test_token_output_carries_no_key_material(keyring: Keyring, keyring_path: Path) -> None:
    result = run_cli("token", "issue", "--role", "admin", "--subject", "ops", keyring=keyring_path)
    assert result.returncode == 0, result.stderr
    for secret in keyring.signing_keys.values():
        raw = secret.reveal()
        for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw).rstrip(b"=")):
            assert encoded.decode() not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        (["--role", "partner", "--agency-kind", "TAX"], "--org"),
        (["--role", "partner", "--org", ORG], "--agency-kind"),
        (["--role", "provider", "--org", ORG, "--agency-kind", "TAX"], "--agency-kind"),
        (["--role", "provider"], "--org"),
        (["--role", "enterprise"], "--org"),
        (["--role", "enterprise", "--org", ORG, "--person-id", PERSON], "--person-id"),
        (["--role", "provider", "--org", ORG[:-1] + "0"], "--org"),
        (["--role", "individual", "--subject", "p"], "--person-id"),
        (["--role", "individual", "--person-id", id_number()], "--person-id"),
        (["--role", "individual", "--person-id", PERSON, "--org", ORG], "--org"),
        (["--role", "admin"], "--subject"),
        (["--role", "auditor", "--subject", "a", "--person-id", PERSON], "--person-id"),
        (["--role", "public", "--subject", "x"], "--role"),
        (["--role", "admin", "--subject", "ops", "--ttl", "0"], "--ttl"),
        (["--role", "admin", "--subject", "ops", "--ttl", "86401"], "--ttl"),
        (["--role", "superuser", "--subject", "x"], "--role"),
        (["--role", "partner", "--org", ORG, "--agency-kind", "SPY"], "--agency-kind"),
        (["--org", ORG], "--role"),
    ],
)
def test_token_issue_refuses_bad_combinations_plainly(
    keyring_path: Path, options: list[str], complaint: str
) -> None:
    result = run_cli("token", "issue", *options, keyring=keyring_path)
    assert result.returncode != 0
    assert result.stdout == ""
    assert complaint in result.stderr
    assert "Traceback" not in result.stderr


def test_token_issue_honours_a_shorter_maximum_lifetime(keyring_path: Path) -> None:
    result = run_cli(
        "token", "issue", "--role", "admin", "--subject", "ops", "--ttl", "601",
        keyring=keyring_path, token_max_ttl="600",
    )  # fmt: skip
    assert result.returncode == 1
    assert "--ttl" in result.stderr and "600" in result.stderr


def test_token_issue_without_a_token_key_says_how_to_add_one(tmp_path: Path) -> None:
    full = Keyring.generate()
    path = tmp_path / "keyring.json"
    create_keyring_file(path, Keyring(data_keys=full.data_keys, index_key=full.index_key, signing_keys={}))
    result = run_cli("token", "issue", "--role", "admin", "--subject", "ops", keyring=path)
    assert result.returncode == 1
    assert "add-signing-key --purpose token" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_token_issue_without_a_keyring_fails_plainly(tmp_path: Path) -> None:
    result = run_cli(
        "token", "issue", "--role", "admin", "--subject", "ops", keyring=tmp_path / "absent.json"
    )
    assert result.returncode == 1
    assert "KEYRING_ERROR" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_individuals_token_is_issued_by_identity_number_through_the_blind_index(
    tmp_path: Path, database_url: str
) -> None:
    from tests.gateway_fixtures import ZHANG, build_env

    env = build_env(tmp_path, database_url)
    store = {"keyring": env.settings.keyring_path, "database_url": database_url}
    lower = ZHANG.id_number.lower()
    result = run_cli("token", "issue", "--role", "individual", "--id-number", f" {lower} ", **store)  # type: ignore[arg-type]
    assert result.returncode == 0, result.stderr
    caller = verifier_for(env.settings.keyring_path).verify(result.stdout.strip())
    assert caller.person_id == env.ids["zhang"]
    assert ZHANG.id_number not in result.stdout + result.stderr  # the number never enters the token

    unknown = run_cli("token", "issue", "--role", "individual", "--id-number", id_number(seq=999), **store)  # type: ignore[arg-type]
    assert unknown.returncode == 1 and unknown.stdout == ""
    assert "[NOT_FOUND]" in unknown.stderr and "Traceback" not in unknown.stderr

    malformed = run_cli("token", "issue", "--role", "individual", "--id-number", "12345", **store)  # type: ignore[arg-type]
    assert (
        malformed.returncode == 1
        and "[INVALID_INPUT]" in malformed.stderr
        and "--id-number" in malformed.stderr
    )

    both = run_cli(
        "token", "issue", "--role", "individual", "--id-number", ZHANG.id_number, "--person-id", PERSON, **store  # type: ignore[arg-type]
    )  # fmt: skip
    assert both.returncode == 1 and "[INVALID_INPUT]" in both.stderr


def test_issuing_by_identity_number_without_a_database_says_so(tmp_path: Path, keyring_path: Path) -> None:
    result = run_cli(
        "token", "issue", "--role", "individual", "--id-number", id_number(seq=5),
        keyring=keyring_path, database_url=f"sqlite:///{tmp_path / 'absent.db'}",
    )  # fmt: skip
    assert result.returncode == 1 and "[CONFIGURATION_ERROR]" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "absent.db").exists()

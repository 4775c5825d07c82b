from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.access.authentication import TokenVerifier
from gateway.access.tokens import Role
from gateway.access.trusted_issuers import load_trusted_issuers
from gateway.errors import AuthenticationError, ConfigurationError
from gateway.keys.keyring import Keyring
from gateway.settings import Settings
from tests.forge import NOW, Clock, b64u, claims, header, private_key, public_jwk, sign

TAX_IDP = "https://idp.tax.example"
COURT_IDP = "court-idp"


@pytest.fixture
def tax_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def court_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document))
    return path


@pytest.fixture
def trusted_file(tmp_path: Path, tax_key: Ed25519PrivateKey, court_key: Ed25519PrivateKey) -> Path:
    """The tax office's JWKS in a file of its own (with an RSA key to skip), the court's inline; both
    providers also use the key id ``token-1``, which the gateway itself uses."""
    rsa = {"kty": "RSA", "kid": "rsa-1", "n": b64u(b"\x01" * 256), "e": "AQAB"}
    write_json(tmp_path / "tax.jwks.json", {"keys": [rsa, public_jwk(tax_key, "tax-1")]})
    entries = [
        {"issuer": TAX_IDP, "jwks": "tax.jwks.json"},
        {
            "issuer": COURT_IDP,
            "jwks": {"keys": [public_jwk(court_key, "token-1")]},
            "audience": "credit-gateway",
        },
    ]
    return write_json(tmp_path / "trusted-issuers.json", entries)


@pytest.fixture
def verifier(keyring: Keyring, trusted_file: Path) -> TokenVerifier:
    settings = Settings(trusted_issuers_path=trusted_file, token_cache_size=0)
    return TokenVerifier.from_settings(settings, keyring, clock=Clock())  # tokens below are issued at NOW


def _code(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(AuthenticationError) as refused:
        verifier.verify(token)
    return refused.value.code


def test_token_of_an_agency_identity_provider_verifies(
    verifier: TokenVerifier, tax_key: Ed25519PrivateKey
) -> None:
    token = sign(header(kid="tax-1"), claims("partner", iss=TAX_IDP, sub="clerk-7"), tax_key)
    caller = verifier.verify(token)
    assert caller.issuer == TAX_IDP
    assert caller.id == "clerk-7"
    assert caller.role is Role.PARTNER


def test_the_gateway_own_tokens_still_verify_next_to_trusted_issuers(
    verifier: TokenVerifier, keyring: Keyring
) -> None:
    token = sign(header(kid="token-1"), claims("admin"), private_key(keyring, "token-1"))
    assert verifier.verify(token).issuer == "credit-gateway"


def test_key_id_of_one_issuer_claimed_by_another_is_refused(
    verifier: TokenVerifier, keyring: Keyring, tax_key: Ed25519PrivateKey
) -> None:
    # the tax office's key, named by its own kid, but the token claims to come from the gateway
    assert _code(verifier, sign(header(kid="tax-1"), claims("admin"), tax_key)) == "TOKEN_SIGNATURE_INVALID"
    # the gateway's key and kid, but the token claims to come from the tax office
    gateway_signed = sign(
        header(kid="token-1"), claims("admin", iss=TAX_IDP), private_key(keyring, "token-1")
    )
    assert _code(verifier, gateway_signed) == "TOKEN_SIGNATURE_INVALID"


def test_same_key_id_at_two_issuers_is_looked_up_at_the_claimed_issuer_only(
    verifier: TokenVerifier, keyring: Keyring, court_key: Ed25519PrivateKey
) -> None:
    # "token-1" exists at the gateway and at the court; the court's key must not pass as the gateway's
    court_as_gateway = sign(header(kid="token-1"), claims("admin"), court_key)
    assert _code(verifier, court_as_gateway) == "TOKEN_SIGNATURE_INVALID"
    gateway_as_court = sign(
        header(kid="token-1"),
        claims("admin", iss=COURT_IDP, aud="credit-gateway"),
        private_key(keyring, "token-1"),
    )
    assert _code(verifier, gateway_as_court) == "TOKEN_SIGNATURE_INVALID"


@pytest.mark.parametrize(
    ("aud", "accepted"),
    [
        ("credit-gateway", True),
        (["other", "credit-gateway"], True),
        (None, False),
        ("other", False),
        (7, False),
    ],
)
def test_issuer_with_an_audience_requires_it_in_every_token(
    verifier: TokenVerifier, court_key: Ed25519PrivateKey, aud: object, accepted: bool
) -> None:
    body = claims("admin", iss=COURT_IDP) if aud is None else claims("admin", iss=COURT_IDP, aud=aud)
    token = sign(header(kid="token-1"), body, court_key)
    if accepted:
        assert verifier.verify(token).issuer == COURT_IDP
    else:
        assert _code(verifier, token) == "TOKEN_CLAIMS_INVALID"


def test_unknown_issuer_is_refused_even_with_a_trusted_key(
    verifier: TokenVerifier, tax_key: Ed25519PrivateKey
) -> None:
    token = sign(header(kid="tax-1"), claims("admin", iss="https://idp.tax.example/"), tax_key)
    assert _code(verifier, token) == "TOKEN_UNKNOWN_ISSUER"


def test_expiry_applies_to_trusted_issuers_too(verifier: TokenVerifier, tax_key: Ed25519PrivateKey) -> None:
    body = claims("admin", iss=TAX_IDP, iat=int(NOW) - 7200, exp=int(NOW) - 3600)
    assert _code(verifier, sign(header(kid="tax-1"), body, tax_key)) == "TOKEN_EXPIRED"


def test_trusted_issuers_file_is_read_with_relative_jwks_paths(trusted_file: Path) -> None:
    issuers = {t.issuer: t for t in load_trusted_issuers(trusted_file)}
    assert sorted(issuers) == [COURT_IDP, TAX_IDP]
    assert list(issuers[TAX_IDP].keys) == ["tax-1"]
    assert issuers[COURT_IDP].audience == "credit-gateway"
    assert repr(issuers[TAX_IDP]) == f"TrustedIssuer(issuer={TAX_IDP!r}, kids=['tax-1'], audience=None)"


@pytest.mark.parametrize(
    ("entries", "reason"),
    [
        ({"issuer": "a"}, "JSON list"),
        (["a"], "not a JSON object"),
        ([{"issuer": "a"}], '"jwks" must be'),
        ([{"issuer": "", "jwks": "tax.jwks.json"}], '"issuer" must be'),
        ([{"issuer": "a", "jwks": "tax.jwks.json", "audiences": ["x"]}], "unknown members"),
        ([{"issuer": "a", "jwks": "tax.jwks.json", "audience": ""}], '"audience" must be'),
        ([{"issuer": "a", "jwks": "absent.json"}], "does not exist"),
        (
            [{"issuer": "a", "jwks": "tax.jwks.json"}, {"issuer": "a", "jwks": "tax.jwks.json"}],
            "listed twice",
        ),
        ([{"issuer": "a", "jwks": {"keys": []}}], "no Ed25519"),
        ([{"issuer": "a", "jwks": "private.jwks.json"}], "private key material"),
    ],
)
def test_broken_trusted_issuers_file_is_refused_at_start_up(
    tmp_path: Path, tax_key: Ed25519PrivateKey, entries: object, reason: str
) -> None:
    write_json(tmp_path / "tax.jwks.json", {"keys": [public_jwk(tax_key, "tax-1")]})
    leaked = dict(public_jwk(tax_key, "tax-1"), d=b64u(tax_key.private_bytes_raw()))
    write_json(tmp_path / "private.jwks.json", {"keys": [leaked]})
    path = write_json(tmp_path / "trusted-issuers.json", entries)
    with pytest.raises(ConfigurationError, match=reason):
        load_trusted_issuers(path)


def test_trusted_issuers_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "trusted-issuers.json"
    path.write_text("[{")
    with pytest.raises(ConfigurationError, match="not valid JSON"):
        load_trusted_issuers(path)


def test_trusted_issuer_may_not_take_the_gateway_own_issuer_id(
    tmp_path: Path, keyring: Keyring, tax_key: Ed25519PrivateKey
) -> None:
    path = write_json(
        tmp_path / "trusted-issuers.json",
        [{"issuer": "credit-gateway", "jwks": {"keys": [public_jwk(tax_key, "tax-1")]}}],
    )
    with pytest.raises(ConfigurationError, match="configured twice"):
        TokenVerifier.from_settings(Settings(trusted_issuers_path=path), keyring)

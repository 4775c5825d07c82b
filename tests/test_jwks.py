from __future__ import annotations

import base64
from typing import Any

import pytest
from joserfc import jws
from joserfc.errors import BadSignatureError
from joserfc.jwk import OKPKey

from gateway.keys.jwks import JWS_ALGORITHM, parse_public_jwks, public_jwks, public_keys, signing_key
from gateway.keys.keyring import Keyring, SigningPurpose


def _ed25519_jwk(kid: object = "idp-1", **extra: Any) -> dict[str, Any]:
    jwk: dict[str, Any] = dict(OKPKey.generate_key("Ed25519").as_dict(private=False))
    jwk.update(kid=kid, **extra)
    return jwk


def test_public_jwks_lists_every_signing_key_without_private_parts() -> None:
    keyring = Keyring.generate().with_signing_key(SigningPurpose.TOKEN)
    document = public_jwks(keyring)
    assert [k["kid"] for k in document["keys"]] == ["token-1", "token-2", "audit-1", "consent-1", "report-1"]
    for jwk in document["keys"]:
        assert set(jwk) == {"kty", "crv", "x", "kid", "use", "alg"}
        assert jwk["alg"] == JWS_ALGORITHM
    text = str(document)
    for secret in keyring.signing_keys.values():
        raw = secret.reveal()
        assert base64.urlsafe_b64encode(raw).rstrip(b"=").decode() not in text
        assert base64.b64encode(raw).decode() not in text


def test_public_jwks_of_one_purpose() -> None:
    keyring = Keyring.generate()
    assert [k["kid"] for k in public_jwks(keyring, SigningPurpose.AUDIT)["keys"]] == ["audit-1"]


def test_what_a_signing_key_signs_verifies_with_its_published_key_only() -> None:
    keyring = Keyring.generate()
    signed = jws.serialize_compact(
        {"alg": JWS_ALGORITHM}, b"tree head", signing_key(keyring, "token-1"), algorithms=[JWS_ALGORITHM]
    )
    token_keys = public_keys(keyring, SigningPurpose.TOKEN)
    audit_keys = public_keys(keyring, SigningPurpose.AUDIT)
    assert (
        jws.deserialize_compact(signed, token_keys["token-1"], algorithms=[JWS_ALGORITHM]).payload
        == b"tree head"
    )
    with pytest.raises(BadSignatureError):
        jws.deserialize_compact(signed, audit_keys["audit-1"], algorithms=[JWS_ALGORITHM])


def test_external_jwks_keeps_usable_keys_and_skips_others() -> None:
    usable = _ed25519_jwk("idp-1")
    document = {
        "keys": [
            {"kty": "RSA", "kid": "rsa-1", "n": "AQAB", "e": "AQAB"},
            _ed25519_jwk("enc-1", use="enc"),
            _ed25519_jwk("old-1", alg="EdDSA"),
            usable,
        ]
    }
    keys = parse_public_jwks(document)
    assert list(keys) == ["idp-1"]
    assert keys["idp-1"].as_dict()["x"] == usable["x"]


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ([], "JSON object"),
        ({"keys": {}}, "JSON object"),
        ({"keys": ["x"]}, "not a JSON object"),
        ({"keys": []}, "no Ed25519"),
        ({"keys": [{"kty": "RSA", "kid": "r", "n": "AQAB", "e": "AQAB"}]}, "no Ed25519"),
        ({"keys": [_ed25519_jwk(kid="")]}, "kid"),
        ({"keys": [_ed25519_jwk(kid=7)]}, "kid"),
        ({"keys": [_ed25519_jwk("a"), _ed25519_jwk("a")]}, "share"),
        ({"keys": [_ed25519_jwk("a", x="AAAA")]}, "not a valid"),
        ({"keys": [dict(OKPKey.generate_key("Ed25519").as_dict(private=True), kid="a")]}, "private"),
        ({"keys": [{"kty": "RSA", "kid": "r", "n": "AQAB", "e": "AQAB", "d": "AQAB"}]}, "private"),
    ],
)
def test_bad_external_jwks_is_refused(document: object, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_public_jwks(document)

"""Ed25519 signing keys as JOSE keys: the keyring's keys for signing, public JWKS for the world,
and public JWKS documents of other issuers read back for verification.

One algorithm only: ``Ed25519``, the fully specified name RFC 9864 gives to EdDSA over edwards25519.
The older polymorphic ``EdDSA`` name leaves the curve to the key (RFC 9864 deprecates it for that);
accepting one name for one key type leaves nothing for a token to negotiate.

Everything that leaves this module for output is built from public halves only; a JWKS document that
arrives with private parts (``d``) is refused rather than cleaned, because it means a private key was
copied somewhere it should not be.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey
from joserfc.jws import JWSRegistry
from joserfc.util import urlsafe_b64encode

from gateway.keys.keyring import Keyring, SecretBytes, SigningPurpose

JWS_ALGORITHM = "Ed25519"
# Signing and verification go through this registry: it knows no other algorithm, so neither "none",
# nor HS256 keyed with a public key, nor the deprecated "EdDSA" can be chosen by a token's header.
JWS_REGISTRY = JWSRegistry(algorithms=[JWS_ALGORITHM])
_CURVE = "Ed25519"
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "k", "oth"})
MAX_KID_LENGTH = 128


def _b64u(raw: bytes) -> str:
    return urlsafe_b64encode(raw).decode("ascii")


def _public_x(secret: SecretBytes) -> str:
    public = Ed25519PrivateKey.from_private_bytes(secret.reveal()).public_key()
    return _b64u(public.public_bytes(Encoding.Raw, PublicFormat.Raw))


def signing_key(keyring: Keyring, kid: str) -> OKPKey:
    """The private key ``kid`` as a JOSE key, for signing only; never serialise it."""
    secret = keyring.signing_key(kid)
    return OKPKey.import_key(
        {"kty": "OKP", "crv": _CURVE, "x": _public_x(secret), "d": _b64u(secret.reveal())},
        parameters={"kid": kid},
    )


def public_jwk(kid: str, secret: SecretBytes) -> dict[str, str]:
    """The public half of one signing key, built field by field so no private member can slip in."""
    return {
        "kty": "OKP",
        "crv": _CURVE,
        "x": _public_x(secret),
        "kid": kid,
        "use": "sig",
        "alg": JWS_ALGORITHM,
    }


def public_jwks(keyring: Keyring, purpose: SigningPurpose | None = None) -> dict[str, list[dict[str, str]]]:
    """The public JWKS of the keyring's signing keys, of one purpose or all, oldest first."""
    purposes = [purpose] if purpose is not None else list(SigningPurpose)
    return {
        "keys": [
            public_jwk(kid, keyring.signing_keys[kid]) for p in purposes for kid in keyring.signing_kids(p)
        ]
    }


def public_keys(keyring: Keyring, purpose: SigningPurpose) -> dict[str, OKPKey]:
    """Verification keys by key id, for the keyring's keys of one purpose."""
    return parse_public_jwks(public_jwks(keyring, purpose))


def parse_public_jwks(document: Any) -> dict[str, OKPKey]:
    """Verification keys by key id from a JWKS document; raises ValueError saying what is wrong.

    Keys this gateway cannot use for tokens (another key type or curve, ``use`` other than ``sig``,
    ``alg`` other than ``Ed25519``) are skipped, as RFC 7517 section 5 allows, so that an identity
    provider may publish its RSA keys next to its Ed25519 ones. A set with no usable key, a usable key
    without a ``kid``, two keys with one ``kid``, or any private member is refused.
    """
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError('a JWKS is a JSON object with a "keys" list')
    keys: dict[str, OKPKey] = {}
    for index, jwk in enumerate(document["keys"]):
        if not isinstance(jwk, dict):
            raise ValueError(f"key {index} is not a JSON object")
        if _PRIVATE_MEMBERS & jwk.keys():
            raise ValueError(f"key {index} contains private key material; publish only public keys")
        if not _usable(jwk):
            continue
        kid = jwk.get("kid")
        if not isinstance(kid, str) or not 0 < len(kid) <= MAX_KID_LENGTH:
            raise ValueError(f'key {index} has no "kid" (a string of at most {MAX_KID_LENGTH} characters)')
        if kid in keys:
            raise ValueError(f"two keys share the key id {kid!r}")
        x = jwk.get("x")
        try:
            if not isinstance(x, str):
                raise TypeError("x")
            keys[kid] = OKPKey.import_key({"kty": "OKP", "crv": _CURVE, "x": x})
        except (JoseError, ValueError, TypeError):
            raise ValueError(f"key {index} is not a valid Ed25519 public key") from None
    if not keys:
        raise ValueError(f"the JWKS has no {JWS_ALGORITHM} signature key")
    return keys


def _usable(jwk: dict[str, Any]) -> bool:
    key_ops = jwk.get("key_ops", ["verify"])
    return (
        jwk.get("kty") == "OKP"
        and jwk.get("crv") == _CURVE
        and jwk.get("use", "sig") == "sig"
        and jwk.get("alg", JWS_ALGORITHM) == JWS_ALGORITHM
        and isinstance(key_ops, list)
        and "verify" in key_ops
    )

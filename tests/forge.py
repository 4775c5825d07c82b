"""Tokens built by hand with real Ed25519 keys, so the verifier is tested against tokens joserfc would
never produce (wrong algorithms, extra headers, duplicate claims) as well as against good ones."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from gateway.access.tokens import Role
from gateway.domain import AgencyKind
from gateway.keys.keyring import Keyring
from tests.helpers import credit_code

ISSUER = "credit-gateway"
NOW = 1_790_000_000.0
MAX_TTL = 86_400
ORG = credit_code("11371700MB12345")  # letters too, so case matters
PERSON = "0123456789abcdef" * 2
DROP = object()  # a claim or header value that means "leave this member out"

ROLE_ARGS: dict[Role, dict[str, Any]] = {
    Role.PARTNER: {"org_code": ORG, "agency_kind": AgencyKind.TAX},
    Role.PROVIDER: {"org_code": ORG},
    Role.INDIVIDUAL: {"person_id": PERSON},
    Role.ENTERPRISE: {"org_code": ORG},
    Role.AUDITOR: {},
    Role.ADMIN: {},
}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def b64u(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def private_key(keyring: Keyring, kid: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(keyring.signing_keys[kid].reveal())


def public_raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_jwk(key: Ed25519PrivateKey, kid: str) -> dict[str, str]:
    return {"kty": "OKP", "crv": "Ed25519", "x": b64u(public_raw(key)), "kid": kid}


def claims(role: str = "partner", /, **changes: Any) -> dict[str, Any]:
    """Valid claims of a role (as the gateway would issue them at NOW), with members changed or dropped."""
    base: dict[str, Any] = {"iss": ISSUER, "sub": "caller-1", "role": role}
    base.update(
        {
            "partner": {"org": ORG, "agency_kind": "TAX"},
            "provider": {"org": ORG},
            "individual": {"person": PERSON},
        }.get(role, {})
    )
    base.update(iat=int(NOW), exp=int(NOW) + 600, jti="f" * 32)
    base.update(changes)
    return {k: v for k, v in base.items() if v is not DROP}


def header(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"alg": "Ed25519", "kid": "token-1", "typ": "JWT"}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not DROP}


def _segment(part: dict[str, Any] | str) -> str:
    return b64u(part if isinstance(part, str) else json.dumps(part, separators=(",", ":")))


def sign(head: dict[str, Any] | str, body: dict[str, Any] | str, key: Ed25519PrivateKey) -> str:
    """A compact JWS over exactly these header and payload (dicts, or raw JSON text), signed Ed25519."""
    signing_input = f"{_segment(head)}.{_segment(body)}"
    return f"{signing_input}.{b64u(key.sign(signing_input.encode()))}"


def sign_hs256(head: dict[str, Any], body: dict[str, Any], secret: bytes) -> str:
    signing_input = f"{_segment(head)}.{_segment(body)}"
    return f"{signing_input}.{b64u(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"

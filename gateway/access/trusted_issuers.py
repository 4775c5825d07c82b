"""Identity providers whose tokens the gateway accepts besides its own, read from one JSON file.

An agency that runs its own identity provider plugs it in by publishing an Ed25519 JWKS; the operator
lists it in the file ``GATEWAY_TRUSTED_ISSUERS`` names::

    [
      {"issuer": "https://idp.tax.example", "jwks": "tax-idp.jwks.json", "audience": "credit-gateway"},
      {"issuer": "court-idp", "jwks": {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "...", "kid": "c1"}]}}
    ]

``jwks`` is the JWKS itself or a path to it (relative paths start at the file's own directory).
``audience``, when given, must appear in every token's ``aud``: an identity provider that serves
several relying parties otherwise mints tokens another service could replay here. Keys are kept per
issuer, so a key id is only ever looked up among the keys of the issuer the token names.

The file is read once at start-up; any problem is a ConfigurationError, never a silently smaller set.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

from joserfc.jwk import OKPKey

from gateway.errors import ConfigurationError
from gateway.keys.jwks import parse_public_jwks

MAX_ISSUER_LENGTH = 256
_MEMBERS = frozenset({"issuer", "jwks", "audience"})


@dataclass(frozen=True)
class TrustedIssuer:
    """One issuer: its id (the ``iss`` its tokens carry), its verification keys by key id, its audience."""

    issuer: str
    keys: Mapping[str, OKPKey] = field(repr=False)
    audience: str | None = None

    def __repr__(self) -> str:
        return f"TrustedIssuer(issuer={self.issuer!r}, kids={sorted(self.keys)}, audience={self.audience!r})"


def load_trusted_issuers(path: Path) -> list[TrustedIssuer]:
    """Read the trusted-issuers file; every entry must be complete and every issuer listed once."""
    document = _read_json(path, "the trusted-issuers file")
    if not isinstance(document, list):
        raise ConfigurationError(f"{path}: a JSON list of issuers is expected")
    issuers: dict[str, TrustedIssuer] = {}
    for index, entry in enumerate(document):
        trusted = _entry(path, index, entry)
        if trusted.issuer in issuers:
            raise ConfigurationError(f"{path}: issuer {trusted.issuer!r} is listed twice")
        issuers[trusted.issuer] = trusted
    return list(issuers.values())


def _entry(path: Path, index: int, entry: Any) -> TrustedIssuer:
    where = f"{path}: entry {index}"
    if not isinstance(entry, dict):
        raise ConfigurationError(f"{where} is not a JSON object")
    unknown = entry.keys() - _MEMBERS
    if unknown:
        raise ConfigurationError(f"{where} has unknown members {sorted(unknown)}")
    issuer, audience = entry.get("issuer"), entry.get("audience")
    if not _is_name(issuer):
        raise ConfigurationError(f'{where}: "issuer" must be 1 to {MAX_ISSUER_LENGTH} printable characters')
    if audience is not None and not _is_name(audience):
        raise ConfigurationError(f'{where}: "audience" must be 1 to {MAX_ISSUER_LENGTH} printable characters')
    jwks = entry.get("jwks")
    if isinstance(jwks, str):
        jwks_path = path.parent / jwks
        jwks, where = _read_json(jwks_path, "the JWKS file"), str(jwks_path)
    elif not isinstance(jwks, dict):
        raise ConfigurationError(f'{where}: "jwks" must be a JWKS object or the path of a JWKS file')
    try:
        keys = parse_public_jwks(jwks)
    except ValueError as exc:
        raise ConfigurationError(f"{where}: {exc}") from None
    return TrustedIssuer(issuer=issuer, keys=keys, audience=audience)


def _is_name(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and 0 < len(value) <= MAX_ISSUER_LENGTH and value.isprintable()


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"{what} {path} does not exist") from None
    except OSError as exc:
        raise ConfigurationError(f"cannot read {what} {path}: {exc.strerror}") from None
    except ValueError:
        raise ConfigurationError(f"{what} {path} is not valid JSON") from None

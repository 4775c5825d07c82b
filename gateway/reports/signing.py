"""Signing reports with the keyring's newest ``report-<n>`` Ed25519 key.

A report key signs nothing else (the key id's purpose is its family: docs/keys.md), so a report can
never pass for a caller token, a consent or an audit head. Rotation (``keys add-signing-key
--purpose report``) adds a key and keeps the older ones: they stay in ``/keys/reports.jwks`` so every
report issued before still verifies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jws
from joserfc.jwk import OKPKey

from gateway.errors import KeyringError
from gateway.keys.jwks import JWS_ALGORITHM, JWS_REGISTRY, public_jwks, public_keys, signing_key
from gateway.keys.keyring import Keyring, SigningPurpose
from gateway.reports.document import JWS_TYPE, canonical_bytes


@dataclass(frozen=True, slots=True)
class SignedReport:
    kid: str
    payload: bytes  # the document's canonical bytes, exactly as signed
    jws: str


@dataclass(frozen=True, slots=True)
class ReportSigner:
    kid: str | None  # None: the keyring holds no report key (an older keyring), so none is issued
    key: OKPKey | None
    verify_keys: dict[str, OKPKey]
    jwks: dict[str, list[dict[str, str]]]  # every report key's public half, retired ones included

    def __repr__(self) -> str:
        return f"ReportSigner(kid={self.kid!r}, verify={sorted(self.verify_keys)})"

    @classmethod
    def from_keyring(cls, keyring: Keyring) -> ReportSigner:
        kids = keyring.signing_kids(SigningPurpose.REPORT)
        kid = kids[-1] if kids else None
        return cls(
            kid=kid,
            key=signing_key(keyring, kid) if kid else None,
            verify_keys=public_keys(keyring, SigningPurpose.REPORT) if kids else {},
            jwks=public_jwks(keyring, SigningPurpose.REPORT),
        )

    def sign(self, document: Mapping[str, Any]) -> SignedReport:
        if self.kid is None or self.key is None:
            raise KeyringError(
                "the keyring has no report signing key; add one with "
                "'credit-gateway keys add-signing-key --purpose report'"
            )
        payload = canonical_bytes(document)
        header = {"alg": JWS_ALGORITHM, "kid": self.kid, "typ": JWS_TYPE}
        token = jws.serialize_compact(header, payload, self.key, registry=JWS_REGISTRY)
        return SignedReport(kid=self.kid, payload=payload, jws=token)

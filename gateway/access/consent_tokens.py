"""Consent tokens: the signed artefact an individual hands to the organisation they consent to.

A JWS (Ed25519, a ``consent-<n>`` key, never a caller-token key, so neither can pass for the other)
carrying the consent id, the person's pseudonymous subject reference (never the identity number), the
grantee, purpose, scopes and expiry, so a grantee can read what it was given. The database row stays
the authority on state: pausing, revoking and use counts are checked there on every use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from gateway.clock import as_utc
from gateway.errors import ConsentError, ConsentExpired
from gateway.keys.jwks import JWS_ALGORITHM, JWS_REGISTRY, public_keys, signing_key
from gateway.keys.keyring import Keyring, SigningPurpose
from gateway.store.models import Consent

TOKEN_TYPE = "consent+jwt"  # noqa: S105 (a media type, not a secret)
MAX_TOKEN_LENGTH = 4_096


class ConsentTokenInvalid(ConsentError):
    code = "CONSENT_INVALID"


@dataclass(frozen=True, slots=True)
class ConsentTokens:
    kid: str
    key: OKPKey
    verify_keys: dict[str, OKPKey]

    def __repr__(self) -> str:
        return f"ConsentTokens(kid={self.kid!r}, verify={sorted(self.verify_keys)})"

    @classmethod
    def from_keyring(cls, keyring: Keyring) -> ConsentTokens:
        kid = keyring.current_signing_kid(SigningPurpose.CONSENT)
        return cls(
            kid=kid, key=signing_key(keyring, kid), verify_keys=public_keys(keyring, SigningPurpose.CONSENT)
        )

    def issue(self, consent: Consent) -> str:
        claims = {
            "cid": consent.id,
            "sub": consent.person_id,
            "aud": consent.grantee_code,
            "purpose": consent.purpose.value,
            "scopes": sorted(s for s in consent.scopes.split(",") if s),
            "iat": int(as_utc(consent.created_at).timestamp()),
            "exp": int(as_utc(consent.expires_at).timestamp()),
        }
        payload = json.dumps(claims, separators=(",", ":"), sort_keys=True).encode()
        header = {"alg": JWS_ALGORITHM, "kid": self.kid, "typ": TOKEN_TYPE}
        return jws.serialize_compact(header, payload, self.key, registry=JWS_REGISTRY)

    def verify(self, token: str, *, now: datetime) -> str:
        """The consent id of a genuine, unexpired consent token; state is checked by the caller."""
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
            raise ConsentTokenInvalid("the consent token is malformed")
        try:
            obj = jws.extract_compact(token.encode("ascii"))
            kid = obj.protected.get("kid")
            if obj.protected.get("typ") != TOKEN_TYPE or obj.protected.get("alg") != JWS_ALGORITHM:
                raise ConsentTokenInvalid("the consent token is malformed")
            key = self.verify_keys.get(kid) if isinstance(kid, str) else None
            if key is None:
                raise ConsentTokenInvalid("the consent token was not signed by this gateway")
            verified = jws.deserialize_compact(token, key, registry=JWS_REGISTRY)
            claims = json.loads(verified.payload)
        except ConsentTokenInvalid:
            raise
        except (JoseError, ValueError, UnicodeError, TypeError):
            raise ConsentTokenInvalid("the consent token is malformed or its signature is invalid") from None
        cid, exp = claims.get("cid"), claims.get("exp")
        if not isinstance(cid, str) or not isinstance(exp, int):
            raise ConsentTokenInvalid("the consent token lacks its consent id or expiry")
        if exp <= now.timestamp():
            raise ConsentExpired("the consent has expired")
        return cid

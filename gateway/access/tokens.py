"""Caller authentication tokens: who a caller is, what a valid token says, and issuing one.

A token is a JWT in JWS compact serialization, signed with Ed25519 (``alg`` ``Ed25519``, RFC 9864)
by a ``token-<n>`` key of the keyring; the header names the key (``kid``). Claims:

- ``iss`` issuer id (``GATEWAY_ISSUER_ID``, or a trusted identity provider), ``sub`` caller id;
- ``role``: partner, individual, enterprise, provider, auditor or admin;
- ``org``: the caller's unified social credit code (partner, enterprise and provider only, required):
  for an enterprise, the organisation acting for itself;
- ``agency_kind``: a :class:`gateway.domain.AgencyKind` (partner only, required);
- ``person``: the subject id of the person an individual is (individual only, required): the 32-hex
  pseudonymous reference of the store, never an identity number, so a token read off a log or a
  browser reveals no identity;
- ``iat``, ``exp`` (both required; ``exp - iat`` at most the maximum lifetime), ``jti`` token id;
- optional ``nbf``; ``aud`` only when the issuer is configured with an audience.

A role carries exactly the role claims listed for it: a claim that does not belong to the role is
refused rather than ignored, so that an ambiguous token (an admin "for" a person) never authenticates.
"""

from __future__ import annotations

import math
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from joserfc import jwt

from gateway.domain import AgencyKind
from gateway.errors import (
    InvalidInput,
    TokenClaimsInvalid,
    TokenExpired,
    TokenNotYetValid,
)
from gateway.identifiers import normalize_credit_code
from gateway.keys.jwks import JWS_ALGORITHM, JWS_REGISTRY, signing_key
from gateway.keys.keyring import Keyring, SigningPurpose

# Clocks of the gateway and of identity providers are NTP-synchronised; 30 s absorbs their drift and
# the time a token spends in flight, and is too short to matter for expiry.
LEEWAY_SECONDS = 30
DEFAULT_TTL_SECONDS = 3_600
DEFAULT_MAX_TTL_SECONDS = 86_400
MAX_TEXT_CLAIM_LENGTH = 256
_PERSON_ID = re.compile(r"^[0-9a-f]{32}$")
_AGENCY_KINDS = frozenset(kind.value for kind in AgencyKind)


class Role(StrEnum):
    """Who a caller is to the gateway; PUBLIC is the caller without a token and is never issued."""

    PUBLIC = "public"
    PARTNER = "partner"  # a government agency's system (credit checks in approvals, 002 二(三)4)
    INDIVIDUAL = "individual"  # a person querying their own information (002 二(二)4)
    ENTERPRISE = "enterprise"  # an organisation querying and correcting its own information (002 二(二)4)
    PROVIDER = "provider"  # an agency that supplies records
    AUDITOR = "auditor"  # reviews the query log (000 个人 四(一))
    ADMIN = "admin"


# The role claims each role must carry; every other role claim is refused for that role.
ROLE_CLAIMS: dict[Role, frozenset[str]] = {
    Role.PARTNER: frozenset({"org", "agency_kind"}),
    Role.PROVIDER: frozenset({"org"}),
    Role.INDIVIDUAL: frozenset({"person"}),
    Role.ENTERPRISE: frozenset({"org"}),
    Role.AUDITOR: frozenset(),
    Role.ADMIN: frozenset(),
}
_TOKEN_ROLES = frozenset(role.value for role in ROLE_CLAIMS)
_ROLE_CLAIM_MEANING = {
    "org": "an organisation's unified social credit code",
    "agency_kind": "an agency kind",
    "person": "a person's subject id",
}


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated caller, as the rest of the gateway sees it; it never holds the token itself."""

    id: str
    role: Role
    org_code: str | None = None
    agency_kind: AgencyKind | None = None
    person_id: str | None = None
    token_id: str | None = None
    expires_at: datetime | None = None
    issuer: str | None = None


PUBLIC_CALLER = Caller(id="anonymous", role=Role.PUBLIC)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A freshly signed token and the caller it stands for; the token stays out of the repr."""

    value: str = field(repr=False)
    caller: Caller
    kid: str


def role_claims_problem(role: Role, claims: Mapping[str, Any]) -> tuple[str, str] | None:
    """The first role claim that does not fit ``role``, as (claim, reason), or None if all fit."""
    required = ROLE_CLAIMS[role]
    for name, meaning in _ROLE_CLAIM_MEANING.items():
        if name in required and name not in claims:
            return name, f"{role} tokens need {meaning}"
        if name not in required and name in claims:
            return name, f"{role} tokens do not carry {meaning}"
    org = claims.get("org")
    if org is not None and not _is_canonical_credit_code(org):
        return "org", "not a valid unified social credit code"
    agency_kind = claims.get("agency_kind")
    if agency_kind is not None and not (isinstance(agency_kind, str) and agency_kind in _AGENCY_KINDS):
        return "agency_kind", f"not one of {', '.join(AgencyKind)}"
    person = claims.get("person")
    if person is not None and not (isinstance(person, str) and _PERSON_ID.match(person)):
        return "person", "a person's subject id is 32 lower-case hexadecimal characters"
    return None


def caller_from_claims(
    claims: Mapping[str, Any],
    *,
    issuer: str,
    now: float,
    max_ttl: int,
    leeway: int = LEEWAY_SECONDS,
    audience: str | None = None,
) -> Caller:
    """Check the claims of a token whose signature already verified, and return its caller.

    Time first (a well-formed but expired token says TOKEN_EXPIRED), then identity and role claims.
    """
    exp, iat = _number(claims, "exp"), _number(claims, "iat")
    if now >= exp + leeway:
        raise TokenExpired()
    if iat > now + leeway or ("nbf" in claims and _number(claims, "nbf") > now + leeway):
        raise TokenNotYetValid()
    if exp <= iat:
        raise TokenClaimsInvalid("exp: the token expires before it was issued")
    if exp - iat > max_ttl:
        raise TokenClaimsInvalid(f"exp: the token lives longer than the {max_ttl} s allowed")
    _check_audience(claims, audience)
    subject, token_id = _text(claims, "sub"), _text(claims, "jti")
    raw_role = claims.get("role")
    role = Role(raw_role) if isinstance(raw_role, str) and raw_role in _TOKEN_ROLES else None
    if role is None:
        raise TokenClaimsInvalid(f"role: not one of {', '.join(ROLE_CLAIMS)}")
    problem = role_claims_problem(role, claims)
    if problem is not None:
        raise TokenClaimsInvalid(f"{problem[0]}: {problem[1]}")
    agency_kind = claims.get("agency_kind")
    return Caller(
        id=subject,
        role=role,
        org_code=claims.get("org"),
        agency_kind=AgencyKind(agency_kind) if agency_kind is not None else None,
        person_id=claims.get("person"),
        token_id=token_id,
        expires_at=datetime.fromtimestamp(exp, UTC),
        issuer=issuer,
    )


class TokenIssuer:
    """Signs tokens with the keyring's current ``token`` key; what it issues, the verifier accepts."""

    def __init__(
        self,
        keyring: Keyring,
        *,
        issuer: str,
        max_ttl: int = DEFAULT_MAX_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._kid = keyring.current_signing_kid(SigningPurpose.TOKEN)
        self._key = signing_key(keyring, self._kid)
        self._issuer = issuer
        self._max_ttl = max_ttl
        self._clock = clock

    def __repr__(self) -> str:
        return f"TokenIssuer(issuer={self._issuer!r}, kid={self._kid!r})"

    def issue(
        self,
        *,
        role: Role,
        subject: str | None = None,
        org_code: str | None = None,
        agency_kind: AgencyKind | None = None,
        person_id: str | None = None,
        ttl: int = DEFAULT_TTL_SECONDS,
        now: float | None = None,
    ) -> IssuedToken:
        """Sign a token; refuses (InvalidInput naming the claim) what the verifier would refuse.

        ``subject`` defaults to the organisation's credit code or the person's subject id: the system
        of an agency, or a person, is then known by the same id in every audit event.
        """
        if role not in ROLE_CLAIMS:
            raise InvalidInput("role", f"tokens are issued for {', '.join(ROLE_CLAIMS)} only")
        if not 0 < ttl <= self._max_ttl:
            raise InvalidInput("ttl", f"a token lives between 1 and {self._max_ttl} seconds")
        role_claims: dict[str, Any] = {}
        if org_code is not None:
            role_claims["org"] = normalize_credit_code(org_code, field="org")
        if agency_kind is not None:
            role_claims["agency_kind"] = str(agency_kind)
        if person_id is not None:
            role_claims["person"] = person_id
        problem = role_claims_problem(role, role_claims)
        if problem is not None:
            raise InvalidInput(*problem)
        subject = subject if subject is not None else role_claims.get("org", person_id)
        if subject is None:
            raise InvalidInput("sub", f"{role} tokens need a caller id")
        if not _is_text(subject):
            raise InvalidInput("sub", f"a caller id is 1 to {MAX_TEXT_CLAIM_LENGTH} printable characters")
        issued_at = int(self._clock() if now is None else now)
        claims: dict[str, Any] = {"iss": self._issuer, "sub": subject, "role": str(role), **role_claims}
        claims.update(iat=issued_at, exp=issued_at + ttl, jti=secrets.token_hex(16))
        caller = caller_from_claims(claims, issuer=self._issuer, now=issued_at, max_ttl=self._max_ttl)
        header = {"alg": JWS_ALGORITHM, "kid": self._kid}
        value = jwt.encode(header, claims, self._key, registry=JWS_REGISTRY)
        return IssuedToken(value=value, caller=caller, kid=self._kid)


def _number(claims: Mapping[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TokenClaimsInvalid(f"{name}: a NumericDate (seconds since the epoch) is required")
    return value


def _is_text(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_TEXT_CLAIM_LENGTH and value.isprintable()


def _text(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    if not _is_text(value):
        raise TokenClaimsInvalid(f"{name}: 1 to {MAX_TEXT_CLAIM_LENGTH} printable characters are required")
    return str(value)


def _is_canonical_credit_code(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return normalize_credit_code(value) == value
    except InvalidInput:
        return False


def _check_audience(claims: Mapping[str, Any], audience: str | None) -> None:
    """RFC 7519 4.1.3: a present ``aud`` that does not name us means the token is for someone else."""
    if audience is None and "aud" not in claims:
        return
    aud = claims.get("aud")
    values = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if audience is None or audience not in values:
        raise TokenClaimsInvalid("aud: the token is meant for another audience")

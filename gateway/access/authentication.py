"""Who is calling: the ``Authorization`` header in, a :class:`Caller` out, or an AuthenticationError.

The checks run cheapest and least trusting first, and each refusal has its own code
(docs/authentication.md): the header and token shape, the JOSE header (``alg`` must be ``Ed25519``,
a ``kid`` is required, nothing else but ``typ`` is allowed), the issuer (ours or a trusted one), the
key (the ``kid`` must be one of *that issuer's* keys), the signature, then the claims and revocation.

An Ed25519 verification costs about 120 µs, more than the rest of a request's crypto together, and a
caller sends the same token with every request. A successful verification is therefore remembered in a
bounded LRU cache keyed by the SHA-256 of the token: a hit skips parsing and the signature, but never
the expiry check (an entry is refused from the moment the token would be refused) nor the revocation
check. The lookup compares digests, not tokens: a hit requires presenting the whole token, and a
digest reveals nothing an attacker could use to guess one.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError
from joserfc.util import urlsafe_b64decode

from gateway import strict_json
from gateway.access.tokens import LEEWAY_SECONDS, PUBLIC_CALLER, Caller, caller_from_claims
from gateway.access.trusted_issuers import TrustedIssuer, load_trusted_issuers
from gateway.errors import (
    ConfigurationError,
    TokenClaimsInvalid,
    TokenExpired,
    TokenMalformed,
    TokenRevoked,
    TokenSignatureInvalid,
    TokenUnknownIssuer,
)
from gateway.keys.jwks import JWS_ALGORITHM, JWS_REGISTRY, public_keys
from gateway.keys.keyring import Keyring, SigningPurpose
from gateway.settings import Settings

MAX_TOKEN_LENGTH = 8_192  # ours are ~450 characters; an identity provider's may carry more claims
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_HEADER_MEMBERS = frozenset({"alg", "kid", "typ"})
_JWT_TYPES = frozenset({"jwt", "application/jwt", "at+jwt", "application/at+jwt"})  # RFC 7519, RFC 9068

RevocationCheck = Callable[[str], bool]
"""Answers whether a token id (``jti``) has been revoked; called on every verification, cached or not."""


class InMemoryRevocationList:
    """Revoked token ids, held in this process until the token would have expired anyway.

    The verifier's default when given no list. It is per process and lost on restart: a revocation
    made here does not reach other workers, so it is for unit tests; the gateway gives the verifier
    the list every worker shares (``gateway.access.revocations``).
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._revoked: dict[str, float] = {}
        self._clock = clock
        self._lock = threading.Lock()

    def revoke(self, token_id: str, *, until: float = float("inf")) -> None:
        """Revoke ``token_id``; ``until`` (the token's exp) lets the entry go once it no longer matters."""
        now = self._clock()
        with self._lock:
            self._revoked = {jti: end for jti, end in self._revoked.items() if end > now}
            self._revoked[token_id] = until

    def __call__(self, token_id: str) -> bool:
        with self._lock:
            return token_id in self._revoked


class VerifiedTokenCache:
    """LRU of verified callers by token digest, with each token's exp; safe to share between threads."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[bytes, tuple[Caller, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, digest: bytes) -> tuple[Caller, float] | None:
        with self._lock:
            entry = self._entries.get(digest)
            if entry is not None:
                self._entries.move_to_end(digest)
            return entry

    def put(self, digest: bytes, caller: Caller, expires: float) -> None:
        if self.max_entries <= 0:
            return
        with self._lock:
            self._entries[digest] = (caller, expires)
            self._entries.move_to_end(digest)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def discard(self, digest: bytes) -> None:
        with self._lock:
            self._entries.pop(digest, None)


class TokenVerifier:
    """Verifies bearer tokens of this gateway and of trusted issuers; one instance per process."""

    def __init__(
        self,
        issuers: Iterable[TrustedIssuer],
        *,
        max_ttl: int,
        cache_size: int,
        revoked: RevocationCheck | None = None,
        leeway: int = LEEWAY_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._issuers: dict[str, TrustedIssuer] = {}
        for trusted in issuers:
            if trusted.issuer in self._issuers:
                raise ConfigurationError(f"issuer {trusted.issuer!r} is configured twice")
            self._issuers[trusted.issuer] = trusted
        self._max_ttl = max_ttl
        self._leeway = leeway
        self._clock = clock
        self.revoked: RevocationCheck = revoked if revoked is not None else InMemoryRevocationList(clock)
        self.cache = VerifiedTokenCache(cache_size)
        self._counters = {"signature_checks": 0, "cache_hits": 0}
        self._counter_lock = threading.Lock()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        keyring: Keyring,
        *,
        revoked: RevocationCheck | None = None,
        clock: Callable[[], float] = time.time,
    ) -> TokenVerifier:
        """This gateway's own token keys, plus the issuers of GATEWAY_TRUSTED_ISSUERS if set."""
        own = TrustedIssuer(settings.issuer_id, public_keys(keyring, SigningPurpose.TOKEN))
        others = load_trusted_issuers(settings.trusted_issuers_path) if settings.trusted_issuers_path else []
        return cls(
            [own, *others],
            max_ttl=settings.token_max_ttl,
            cache_size=settings.token_cache_size,
            revoked=revoked,
            clock=clock,
        )

    def __repr__(self) -> str:
        return f"TokenVerifier(issuers={sorted(self._issuers)}, cache={len(self.cache)}/{self.cache.max_entries})"

    @property
    def signature_checks(self) -> int:
        """Ed25519 verifications performed so far (a cache hit performs none)."""
        return self._counters["signature_checks"]

    @property
    def cache_hits(self) -> int:
        return self._counters["cache_hits"]

    def authenticate(self, authorization: str | None) -> Caller:
        """The caller an ``Authorization`` header value stands for; no header means the public caller."""
        if authorization is None:
            return PUBLIC_CALLER
        scheme, _, credentials = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise TokenMalformed("the Authorization header must be 'Bearer <token>'")
        return self.verify(credentials.strip())

    def verify(self, token: str) -> Caller:
        """The caller a compact JWS token stands for, or the AuthenticationError that refuses it."""
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or not _COMPACT_JWS.fullmatch(token):
            raise TokenMalformed("the bearer token is not a compact JWS")
        raw = token.encode("ascii")
        digest = hashlib.sha256(raw).digest()
        now = self._clock()
        cached = self.cache.get(digest)
        if cached is not None:
            caller, expires = cached
            if now >= expires + self._leeway:
                self.cache.discard(digest)
                raise TokenExpired()
            self._check_not_revoked(digest, caller)
            self._count("cache_hits")
            return caller
        caller, expires = self._verify_signed(raw, now)
        self._check_not_revoked(digest, caller)
        self.cache.put(digest, caller, expires)
        return caller

    def _verify_signed(self, raw: bytes, now: float) -> tuple[Caller, float]:
        header_segment, payload_segment, _ = raw.split(b".")
        header, payload = _json_object(header_segment), _json_object(payload_segment)
        if header.keys() - _HEADER_MEMBERS:
            raise TokenMalformed(f"the token header may only carry {', '.join(sorted(_HEADER_MEMBERS))}")
        if header.get("alg") != JWS_ALGORITHM:
            raise TokenMalformed(f"only {JWS_ALGORITHM} signatures are accepted")
        kid, typ = header.get("kid"), header.get("typ")
        if not isinstance(kid, str) or not kid:
            raise TokenMalformed("the token header names no key id")
        if typ is not None and not (isinstance(typ, str) and typ.lower() in _JWT_TYPES):
            raise TokenMalformed("the token header's typ is not a JWT type")
        issuer = payload.get("iss")
        if not isinstance(issuer, str):
            raise TokenClaimsInvalid("iss: the token names no issuer")
        trusted = self._issuers.get(issuer)
        if trusted is None:
            raise TokenUnknownIssuer()
        key = trusted.keys.get(kid)
        if key is None:
            raise TokenSignatureInvalid("the token's key id is not a key of its issuer")
        self._count("signature_checks")
        try:
            verified = jws.deserialize_compact(raw, key, registry=JWS_REGISTRY)
        except BadSignatureError:
            raise TokenSignatureInvalid() from None
        except (JoseError, ValueError, TypeError):
            raise TokenMalformed("the bearer token is not a valid JWS") from None
        if verified.payload != urlsafe_b64decode(payload_segment):  # claims below are the signed ones
            raise TokenMalformed("the bearer token is not a valid JWS")
        caller = caller_from_claims(
            payload,
            issuer=issuer,
            now=now,
            max_ttl=self._max_ttl,
            leeway=self._leeway,
            audience=trusted.audience,
        )
        return caller, float(payload["exp"])

    def _check_not_revoked(self, digest: bytes, caller: Caller) -> None:
        if caller.token_id is not None and self.revoked(caller.token_id):
            self.cache.discard(digest)
            raise TokenRevoked()

    def _count(self, name: str) -> None:
        with self._counter_lock:
            self._counters[name] += 1


def _json_object(segment: bytes) -> dict[str, Any]:
    """A base64url JSON object, strictly (``gateway.strict_json``): two "role" members would be read
    one way here and maybe another way by the issuer."""
    try:
        text = urlsafe_b64decode(segment).decode("utf-8")  # RFC 8259: UTF-8 only
        value = strict_json.loads(text)
    except ValueError:  # also binascii.Error, UnicodeDecodeError, JSONDecodeError
        raise TokenMalformed("the bearer token is not a valid JWS") from None
    if not isinstance(value, dict):
        raise TokenMalformed("the bearer token is not a valid JWS")
    return value

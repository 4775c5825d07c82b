"""Typed settings, read once from ``GATEWAY_*`` environment variables.

The settings object is built by the entry point and passed down; nothing reads the environment at
import time, so tests can build their own settings inline.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from gateway.audit.settings import AuditSettings

DEFAULT_DATA_DIR = Path("var")
SHIPPED_POLICIES = Path(__file__).resolve().parent.parent / "policies"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _flag(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}")


def _count(name: str, raw: str, minimum: int) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise ValueError(f"{name} must be a whole number; got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}; got {value}")
    return value


def _rate(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(
            f"GATEWAY_RATE_PER_SECOND must be a number (0 turns the limit off); got {raw!r}"
        ) from None
    if value < 0 or value != value:
        raise ValueError("GATEWAY_RATE_PER_SECOND must be 0 or more")
    return value


def _seconds(name: str, raw: str, *, maximum: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds; got {raw!r}") from None
    if not 0 <= value <= maximum:
        raise ValueError(f"{name} must be between 0 and {maximum:g} seconds")
    return value


def _choice(name: str, raw: str, allowed: tuple[str, ...]) -> str:
    value = raw.strip().lower()
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}")
    return value


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the gateway needs to know about its environment."""

    database_url: str = f"sqlite:///{DEFAULT_DATA_DIR / 'credit.db'}"
    keyring_path: Path = DEFAULT_DATA_DIR / "keyring.json"
    dev_mode: bool = False
    holidays_path: Path | None = None
    # The shipped policies/ beside the package (a source checkout or editable install).
    policy_dir: Path = SHIPPED_POLICIES
    max_request_bytes: int = 64 * 1024
    max_batch: int = 5
    rate_per_second: float = 50.0
    rate_burst: int = 100
    # Per-role document limits "role=depth:aliases:tokens,…"; roles not named get the defaults.
    limits: str = "public=6:5:600,partner=8:15:2000,individual=8:10:1500,provider=6:10:20000"
    # Trusted documents: off | allow | require (gateway.access.document_policy; docs/partner-guide.md).
    trusted_documents: str = "allow"

    issuer_id: str = "credit-gateway"  # the ``iss`` of the tokens this gateway signs
    token_max_ttl: int = 86_400  # seconds a token may live, ours or a trusted issuer's
    token_cache_size: int = 10_000  # verified tokens kept (about 600 bytes each); 0 turns the cache off
    trusted_issuers_path: Path | None = None  # JSON list of other issuers and their JWKS
    # Seconds a worker answers from its copy of the shared revocation list before reading it again:
    # the bound on how long a token revoked on another worker still works (docs/deployment.md).
    revocation_refresh_seconds: float = 1.0
    # Seconds after which a consent use whose lookup never committed its audit event is given back;
    # longer than any request waits for its event (docs/audit.md, "Consent uses").
    consent_use_grace_seconds: int = 300
    audit: AuditSettings = field(default_factory=AuditSettings)  # GATEWAY_AUDIT_* (docs/audit.md)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        base = cls()
        holidays = env.get("GATEWAY_HOLIDAYS")
        trusted = env.get("GATEWAY_TRUSTED_ISSUERS")
        issuer = env.get("GATEWAY_ISSUER_ID", base.issuer_id)
        if not issuer.strip():
            raise ValueError("GATEWAY_ISSUER_ID must not be empty")
        audit = AuditSettings.from_env(env)
        grace = _count(
            "GATEWAY_CONSENT_USE_GRACE",
            env.get("GATEWAY_CONSENT_USE_GRACE", str(base.consent_use_grace_seconds)),
            1,
        )
        if grace <= audit.write_timeout_seconds:
            raise ValueError("GATEWAY_CONSENT_USE_GRACE must be longer than GATEWAY_AUDIT_WRITE_TIMEOUT")
        return cls(
            database_url=env.get("GATEWAY_DATABASE_URL", base.database_url),
            keyring_path=Path(env.get("GATEWAY_KEYRING", str(base.keyring_path))),
            dev_mode=_flag("GATEWAY_DEV_MODE", env.get("GATEWAY_DEV_MODE", "0")),
            holidays_path=Path(holidays) if holidays else None,
            policy_dir=Path(env.get("GATEWAY_POLICY_DIR", str(base.policy_dir))),
            max_request_bytes=_count(
                "GATEWAY_MAX_REQUEST_BYTES",
                env.get("GATEWAY_MAX_REQUEST_BYTES", str(base.max_request_bytes)),
                1,
            ),
            max_batch=_count("GATEWAY_MAX_BATCH", env.get("GATEWAY_MAX_BATCH", str(base.max_batch)), 1),
            rate_per_second=_rate(env.get("GATEWAY_RATE_PER_SECOND", str(base.rate_per_second))),
            rate_burst=_count("GATEWAY_RATE_BURST", env.get("GATEWAY_RATE_BURST", str(base.rate_burst)), 1),
            limits=env.get("GATEWAY_LIMITS", base.limits),
            trusted_documents=_choice(
                "GATEWAY_TRUSTED_DOCUMENTS",
                env.get("GATEWAY_TRUSTED_DOCUMENTS", base.trusted_documents),
                ("off", "allow", "require"),
            ),
            issuer_id=issuer,
            token_max_ttl=_count(
                "GATEWAY_TOKEN_MAX_TTL", env.get("GATEWAY_TOKEN_MAX_TTL", str(base.token_max_ttl)), 1
            ),
            token_cache_size=_count(
                "GATEWAY_TOKEN_CACHE_SIZE", env.get("GATEWAY_TOKEN_CACHE_SIZE", str(base.token_cache_size)), 0
            ),
            trusted_issuers_path=Path(trusted) if trusted else None,
            revocation_refresh_seconds=_seconds(
                "GATEWAY_REVOCATION_REFRESH",
                env.get("GATEWAY_REVOCATION_REFRESH", str(base.revocation_refresh_seconds)),
                maximum=60.0,
            ),
            consent_use_grace_seconds=grace,
            audit=audit,
        )

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

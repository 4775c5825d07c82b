"""Typed settings, read once from ``GATEWAY_*`` environment variables.

The settings object is built by the entry point and passed down; nothing reads the environment at
import time, so tests can build their own settings inline.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_DATA_DIR = Path("var")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _flag(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}")


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the gateway needs to know about its environment."""

    database_url: str = f"sqlite:///{DEFAULT_DATA_DIR / 'credit.db'}"
    keyring_path: Path = DEFAULT_DATA_DIR / "keyring.json"
    dev_mode: bool = False
    holidays_path: Path | None = None
    policy_dir: Path = Path("policies")
    max_request_bytes: int = 64 * 1024
    max_batch: int = 5
    rate_per_second: float = 50.0
    rate_burst: int = 100
    # Per-role document limits "role=depth:aliases:tokens,…"; roles not named get the defaults.
    limits: str = "public=6:5:600,partner=8:15:2000,individual=8:10:1500,provider=6:10:20000"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        base = cls()
        holidays = env.get("GATEWAY_HOLIDAYS")
        return cls(
            database_url=env.get("GATEWAY_DATABASE_URL", base.database_url),
            keyring_path=Path(env.get("GATEWAY_KEYRING", str(base.keyring_path))),
            dev_mode=_flag("GATEWAY_DEV_MODE", env.get("GATEWAY_DEV_MODE", "0")),
            holidays_path=Path(holidays) if holidays else None,
            policy_dir=Path(env.get("GATEWAY_POLICY_DIR", str(base.policy_dir))),
            max_request_bytes=int(env.get("GATEWAY_MAX_REQUEST_BYTES", base.max_request_bytes)),
            max_batch=int(env.get("GATEWAY_MAX_BATCH", base.max_batch)),
            rate_per_second=float(env.get("GATEWAY_RATE_PER_SECOND", base.rate_per_second)),
            rate_burst=int(env.get("GATEWAY_RATE_BURST", base.rate_burst)),
            limits=env.get("GATEWAY_LIMITS", base.limits),
        )

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

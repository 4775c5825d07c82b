"""Audit settings, read from ``GATEWAY_AUDIT_*`` variables by ``Settings.from_env``.

There is deliberately no setting that turns the audit log off.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time

_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


def _number(name: str, raw: str, minimum: float, *, whole: bool) -> float:
    try:
        value = int(raw.strip()) if whole else float(raw.strip())
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise ValueError(f"{name} must be {kind}; got {raw!r}") from None
    if not value >= minimum:
        raise ValueError(f"{name} must be at least {minimum:g}; got {raw.strip()}")
    return value


def parse_hours(name: str, raw: str) -> tuple[time, time]:
    match = _HOURS.match(raw.strip())
    if not match:
        raise ValueError(f"{name} must look like 08:30-18:00; got {raw!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start = time(h1, m1)
    end = time(23, 59, 59, 999_999) if h2 == 24 else time(h2, m2)
    if not start < end:
        raise ValueError(f"{name}: the working day must end after it starts")
    return start, end


@dataclass(frozen=True, slots=True)
class AuditSettings:
    head_every_events: int = 1_000  # sign a head after this many new events ...
    head_every_seconds: float = 300.0  # ... or when the newest head is this old and events came since
    group_window_ms: float = 2.0  # how long the writer collects concurrent requests' events
    group_max_events: int = 512  # events per transaction at most
    write_timeout_seconds: float = 10.0  # a request waits this long for its event, then fails closed
    retention_years: int = 5  # prune refuses to remove events younger than this (local rules: 5-10)
    # Anomaly flags (auditAnomalies): thresholds and the working day, China Standard Time.
    persons_per_hour: int = 30  # distinct persons one caller looks up within one clock hour
    refusal_burst: int = 10  # refusals of one caller ...
    refusal_burst_minutes: int = 10  # ... within this many minutes
    working_hours: str = "08:30-18:00"  # on working days (holidays per GATEWAY_HOLIDAYS)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AuditSettings:
        base = cls()

        def get(name: str, default: object) -> str:
            return env.get(f"GATEWAY_AUDIT_{name}", str(default))

        settings = cls(
            head_every_events=int(_number("GATEWAY_AUDIT_HEAD_EVENTS", get("HEAD_EVENTS", base.head_every_events), 1, whole=True)),
            head_every_seconds=_number("GATEWAY_AUDIT_HEAD_SECONDS", get("HEAD_SECONDS", base.head_every_seconds), 1, whole=False),
            group_window_ms=_number("GATEWAY_AUDIT_GROUP_WINDOW_MS", get("GROUP_WINDOW_MS", base.group_window_ms), 0, whole=False),
            group_max_events=int(_number("GATEWAY_AUDIT_GROUP_MAX_EVENTS", get("GROUP_MAX_EVENTS", base.group_max_events), 1, whole=True)),
            write_timeout_seconds=_number("GATEWAY_AUDIT_WRITE_TIMEOUT", get("WRITE_TIMEOUT", base.write_timeout_seconds), 0.1, whole=False),
            retention_years=int(_number("GATEWAY_AUDIT_RETENTION_YEARS", get("RETENTION_YEARS", base.retention_years), 1, whole=True)),
            persons_per_hour=int(_number("GATEWAY_AUDIT_PERSONS_PER_HOUR", get("PERSONS_PER_HOUR", base.persons_per_hour), 1, whole=True)),
            refusal_burst=int(_number("GATEWAY_AUDIT_REFUSAL_BURST", get("REFUSAL_BURST", base.refusal_burst), 1, whole=True)),
            refusal_burst_minutes=int(_number("GATEWAY_AUDIT_REFUSAL_MINUTES", get("REFUSAL_MINUTES", base.refusal_burst_minutes), 1, whole=True)),
            working_hours=get("WORKING_HOURS", base.working_hours).strip(),
        )  # fmt: skip
        parse_hours("GATEWAY_AUDIT_WORKING_HOURS", settings.working_hours)
        return settings

    @property
    def hours(self) -> tuple[time, time]:
        return parse_hours("GATEWAY_AUDIT_WORKING_HOURS", self.working_hours)

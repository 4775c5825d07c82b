"""Time in one place: the gateway works in UTC and stores timezone-aware timestamps."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone-aware columns; they were stored as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)

"""A clock tests move by hand, and a gateway app that reads it: no test sleeps or reads the real time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, timezone

from starlette.applications import Starlette

from gateway.api.app import create_app
from gateway.settings import Settings

CST = timezone(timedelta(hours=8))


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def on(self, day: date, at: time = time(10, 0)) -> None:
        """Move to ``day`` at ``at``, China Standard Time (decision dates are dates in China)."""
        self.now = datetime.combine(day, at, tzinfo=CST).astimezone(UTC)


def app_with_clock(settings: Settings, clock: Clock) -> Starlette:
    app = create_app(settings)
    gateway = app.state.gateway
    gateway.services = replace(gateway.services, clock=clock)
    return app

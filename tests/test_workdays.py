"""The working-day calendar past its end: counted with weekends only and flagged with
HOLIDAY_CALENDAR_ENDED, in the log, at /readyz and when serving (docs/lifecycle.md)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from gateway.lifecycle.rules.objections import due_on
from gateway.workdays import WorkCalendar
from tests.clock import Clock, app_with_clock
from tests.gateway_fixtures import build_env
from tests.server import running

BUNDLED = WorkCalendar.load()


def test_the_bundled_calendar_ends_with_the_last_year_it_lists() -> None:
    assert BUNDLED.last_day == date(2026, 12, 31)
    assert BUNDLED.covers(date(2026, 12, 31)) and not BUNDLED.covers(date(2027, 1, 1))


def test_a_count_past_the_end_uses_weekends_and_warns_once_with_a_stable_code(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calendar = WorkCalendar.parse("2030-10-01 holiday\n", source="test-2030")
    with caplog.at_level(logging.WARNING, logger="gateway.workdays"):
        assert calendar.is_workday(date(2031, 1, 1))  # a Wednesday; the holiday is not known
        assert not calendar.is_workday(date(2031, 1, 4))  # a Saturday
        assert calendar.working_days_between(date(2031, 1, 1), date(2031, 1, 8)) == 5
    warnings = [r.getMessage() for r in caplog.records if "HOLIDAY_CALENDAR_ENDED" in r.getMessage()]
    assert len(warnings) == 1 and "2031" in warnings[0] and "test-2030" in warnings[0]


def test_an_objection_deadline_past_the_end_is_computed_not_refused() -> None:
    # Filed Monday 2026-12-21: ten working days later with weekends alone is Monday 2027-01-04
    # (1 January 2027 counted as a working day, so earlier than the real deadline, never later).
    assert due_on(date(2026, 12, 21), 10, BUNDLED) == date(2027, 1, 4)


@pytest.mark.parametrize(
    ("today", "warns"),
    [
        (date(2026, 9, 1), False),
        (date(2026, 10, 3), True),
        (date(2026, 12, 7), True),
        (date(2027, 2, 1), True),
    ],
)
def test_the_warning_starts_90_days_before_the_end(today: date, warns: bool) -> None:
    message = BUNDLED.coverage_warning(today)
    assert (message is not None) is warns
    if message:
        assert "2026-12-31" in message and "GATEWAY_HOLIDAYS" in message and "2027" in message


def test_readyz_warns_but_stays_ready_when_the_calendar_ends_within_90_days(
    tmp_path: Path, database_url: str
) -> None:
    env = build_env(tmp_path, database_url)
    clock = Clock(datetime(2026, 12, 7, 2, 0, tzinfo=UTC))
    with running(app_with_clock(env.settings, clock)) as base, httpx.Client(base_url=base) as http:
        response = http.get("/readyz")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ready"
        assert [w["code"] for w in body["warnings"]] == ["HOLIDAY_CALENDAR_ENDED"]
        clock.now = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
        assert http.get("/readyz").json() == {"status": "ready"}


def test_a_calendar_file_with_the_next_year_silences_the_warning(tmp_path: Path, database_url: str) -> None:
    holidays = tmp_path / "holidays.txt"
    holidays.write_text("# with 2027\n2027-01-01 holiday\n", encoding="utf-8")
    env = build_env(tmp_path, database_url, holidays_path=holidays)
    clock = Clock(datetime(2026, 12, 7, 2, 0, tzinfo=UTC))
    with running(app_with_clock(env.settings, clock)) as base, httpx.Client(base_url=base) as http:
        assert http.get("/readyz").json() == {"status": "ready"}

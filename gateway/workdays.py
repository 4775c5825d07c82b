"""Working days: weekends off, public holidays off, adjusted weekend working days on.

Used for the rule that decisions are published within 7 working days of the decision date
(000 双公示 二(三), 004 二(二)), objection deadlines and the auditors' off-hours flag.

A calendar covers the years its file lists (the State Council announces each year's holidays late in
the year before). For a day past the last of them there is no holiday list to read, and the
calculation goes on with weekends alone rather than failing: failing closed would stop a citizen
filing an objection and a provider importing decisions over a gap in the operator's calendar, and
weekends alone only ever count a holiday as a working day, so deadlines come out earlier, never
later (stricter on the agency, not on the subject). Each such year is logged once as a warning with
the stable code HOLIDAY_CALENDAR_ENDED, and ``/readyz`` and ``serve`` warn from 90 days before the
calendar ends (``coverage_warning``), so the operator adds the year before it is needed
(docs/lifecycle.md, "The working-day calendar").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

from gateway.errors import HolidayCalendarEnded, InvalidInput

PUBLICATION_DEADLINE_WORKING_DAYS = 7
WARN_DAYS_BEFORE_END = 90

log = logging.getLogger("gateway.workdays")
_warned_years: set[tuple[int | None, int]] = set()


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    source: str = "holidays"
    # 31 December of the last year the calendar lists; None for an empty calendar (weekends only, on
    # purpose). Computed once: is_workday is called for every day of every count.
    last_day: date | None = field(init=False, compare=False)

    def __post_init__(self) -> None:
        days = self.holidays | self.extra_workdays
        object.__setattr__(self, "last_day", date(max(d.year for d in days), 12, 31) if days else None)

    def covers(self, day: date) -> bool:
        return self.last_day is None or day <= self.last_day

    def is_workday(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        if self.last_day is not None and day > self.last_day:
            self._warn_uncovered(day.year)
        return day.weekday() < 5 and day not in self.holidays

    def _warn_uncovered(self, year: int) -> None:
        key = (self.last_day.year if self.last_day else None, year)
        if key not in _warned_years:
            _warned_years.add(key)
            log.warning(
                "%s: %s", HolidayCalendarEnded.code,
                f"the holiday calendar ({self.source}) ends with {key[0]}; working days of {year} are "
                "counted with weekends only until GATEWAY_HOLIDAYS lists that year",
            )  # fmt: skip

    def coverage_warning(self, today: date, *, within_days: int = WARN_DAYS_BEFORE_END) -> str | None:
        """A warning for the operator when the calendar ends within ``within_days`` of ``today``."""
        last = self.last_day
        if last is None or today + timedelta(days=within_days) <= last:
            return None
        ended = "ended" if last < today else "ends"
        return (
            f"the holiday calendar ({self.source}) {ended} on {last.isoformat()}: working days after it "
            f"are counted with weekends only; add {last.year + 1} to the file GATEWAY_HOLIDAYS names "
            "(docs/lifecycle.md)"
        )

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
        count = 0
        day = start + timedelta(days=1)
        while day <= end:
            count += self.is_workday(day)
            day += timedelta(days=1)
        return count

    def within_deadline(
        self, decided: date, received: date, days: int = PUBLICATION_DEADLINE_WORKING_DAYS
    ) -> bool:
        if received <= decided:
            return True
        # Past ~3x the deadline in calendar days no holiday list can bring it back within.
        if (received - decided).days > days * 3 + 30:
            return False
        return self.working_days_between(decided, received) <= days

    @classmethod
    def parse(cls, text: str, *, source: str = "holidays") -> WorkCalendar:
        holidays: set[date] = set()
        workdays: set[date] = set()
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            try:
                day = date.fromisoformat(parts[0])
            except ValueError:
                raise InvalidInput(f"{source}:{number}", "expected a YYYY-MM-DD date") from None
            kind = parts[1] if len(parts) > 1 else "holiday"
            if kind == "holiday":
                holidays.add(day)
            elif kind == "workday":
                workdays.add(day)
            else:
                raise InvalidInput(f"{source}:{number}", "expected 'holiday' or 'workday' after the date")
        return cls(frozenset(holidays), frozenset(workdays), source)

    @classmethod
    def load(cls, path: Path | None = None) -> WorkCalendar:
        """The calendar in ``path``, or the bundled mainland calendar."""
        if path is None:
            text = resources.files("gateway").joinpath("data/holidays-cn.txt").read_text(encoding="utf-8")
            return cls.parse(text, source="holidays-cn.txt")
        return cls.parse(path.read_text(encoding="utf-8"), source=str(path))

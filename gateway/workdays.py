"""Working days: weekends off, public holidays off, adjusted weekend working days on.

Used for the rule that decisions are published within 7 working days of the decision date
(000 双公示 二(三), 004 二(二)).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

from gateway.errors import InvalidInput

PUBLICATION_DEADLINE_WORKING_DAYS = 7


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()

    def is_workday(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

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
        return cls(frozenset(holidays), frozenset(workdays))

    @classmethod
    def load(cls, path: Path | None = None) -> WorkCalendar:
        """The calendar in ``path``, or the bundled mainland calendar."""
        if path is None:
            text = resources.files("gateway").joinpath("data/holidays-cn.txt").read_text(encoding="utf-8")
            return cls.parse(text, source="holidays-cn.txt")
        return cls.parse(path.read_text(encoding="utf-8"), source=str(path))

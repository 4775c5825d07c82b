"""Display periods (展示期限): how long each kind of record is shown and used.

Every category of public credit information has a display period; information past its period is no
longer shown or used (000 个人 四(三), 001 (十三)), and disclosure past the period is a violation
(002 二(七)2). The periods are data, in ``policies/display-periods.toml``: one row per category and
severity with a minimum and a maximum in months, whether the public portal shows the record at all, and
the source of the figures. The table is validated when it is loaded (every category and severity covered
exactly once, minimum not above maximum, a source for every row), so a gap fails at start-up rather than
showing a record for ever.

Periods are counted as the Civil Code counts periods in months and years (民法典 第二百零一条、第二百
零二条): from the day after the decision, ending on the corresponding day of the last month, or that
month's last day when it has no such day. A record decided on 2026-03-02 with a one-year maximum is
shown through 2027-03-02 and not from 2027-03-03. Whether a record is still shown is decided per request
against the request's clock, never by a batch job that could lag.
"""

from __future__ import annotations

import calendar
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol, TypeVar

from gateway.domain import Category, Severity, is_dishonesty
from gateway.errors import ConfigurationError

FILE_NAME = "display-periods.toml"
# Decision dates are calendar dates in mainland China; "today" for a period is today there.
CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")
MAX_MONTHS = 12 * 100
E = TypeVar("E", Category, Severity)
_ROW_KEYS = frozenset(
    {"categories", "severities", "applies_to", "min_months", "max_months", "public", "source"}
)
# A row applies to dishonesty records, to the others (good records, a kept commitment), or to both.
_APPLIES_TO = {"dishonesty": (True,), "other": (False,), "any": (True, False)}

Key = tuple[Category, Severity, bool]  # category, severity, is it dishonesty


class RecordFacts(Protocol):
    """What the period rules read of a record (a ``gateway.store.models.CreditRecord`` has all of it)."""

    @property
    def category(self) -> Category: ...
    @property
    def severity(self) -> Severity: ...
    @property
    def kept(self) -> bool | None: ...
    @property
    def decision_date(self) -> date: ...
    @property
    def publication_until(self) -> date | None: ...
    @property
    def committed_as_minor(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Period:
    min_months: int
    max_months: int | None  # None: no end
    public: bool
    source: str


@dataclass(frozen=True, slots=True)
class Window:
    """The dates that follow from a record's period."""

    last_shown: date | None  # last day the record is shown and used; None: no end
    repairable_from: date | None  # first day a repair may be applied for; None: not repairable
    public: bool  # the public portal may show it (within the period)

    def shown_on(self, today: date) -> bool:
        return self.last_shown is None or today <= self.last_shown


def today_in_china(now: datetime) -> date:
    return now.astimezone(CHINA_STANDARD_TIME).date()


def add_months(start: date, months: int) -> date:
    """The corresponding day ``months`` later, or the last day of that month (民法典 第二百零二条)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True, slots=True)
class MinorsPeriod:
    """The shorter display period of records of acts committed before the person turned 18
    (``[minors]``; 001 (十三), 004 个人 四(三)): at most ``max_months`` after the decision, and never
    longer than the record's own period."""

    max_months: int
    source: str
    local_default: bool


class DisplayPeriods:
    """The validated table: (category, severity) -> Period, and the minors' shorter period."""

    def __init__(self, table: Mapping[Key, Period], minors: MinorsPeriod | None = None) -> None:
        self._table = dict(table)
        self.minors = minors

    def period(self, category: Category, severity: Severity, dishonest: bool) -> Period:
        return self._table[(category, severity, dishonest)]

    def window(self, record: RecordFacts) -> Window:
        dishonest = is_dishonesty(record.category, record.severity, record.kept)
        period = self.period(record.category, record.severity, dishonest)
        decided = record.decision_date
        last = None if period.max_months is None else add_months(decided, period.max_months)
        if record.publication_until is not None and (last is None or record.publication_until < last):
            last = record.publication_until  # the provider's own, earlier end of publication
        min_months = period.min_months
        if self.minors is not None and record.committed_as_minor:
            minor_last = add_months(decided, self.minors.max_months)
            last = minor_last if last is None else min(last, minor_last)
            min_months = min(min_months, self.minors.max_months)
        repairable = None
        if dishonest:
            # The minimum period has passed on the day after its last day; with no minimum, at once.
            repairable = decided if min_months == 0 else add_months(decided, min_months) + timedelta(1)
        return Window(last_shown=last, repairable_from=repairable, public=period.public)

    def shown(self, record: RecordFacts, today: date) -> bool:
        return self.window(record).shown_on(today)

    def rows(self) -> Iterable[tuple[Key, Period]]:
        yield from sorted(self._table.items())

    # --- loading -----------------------------------------------------------------------------------

    @classmethod
    def load(cls, policy_dir: Path) -> DisplayPeriods:
        path = Path(policy_dir) / FILE_NAME
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(
                f"{path}: cannot read the display-period table ({exc.strerror})"
            ) from None
        return cls.parse(text, source=str(path))

    @classmethod
    def parse(cls, text: str, *, source: str = FILE_NAME) -> DisplayPeriods:
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"{source}: not valid TOML ({exc})") from None
        rows = document.get("period")
        if not set(document) <= {"period", "minors"} or not isinstance(rows, list) or not rows:
            raise ConfigurationError(f"{source}: expected [[period]] tables and a [minors] table")
        minors = _minors(document.get("minors"), f"{source}: minors")
        table: dict[Key, Period] = {}
        for number, row in enumerate(rows, start=1):
            where = f"{source}: period {number}"
            period = _period(row, where)
            applies = _APPLIES_TO.get(row.get("applies_to", "any"))
            if applies is None:
                raise ConfigurationError(f"{where}: applies_to must be dishonesty, other or any")
            for category in _names(row, "categories", Category, where):
                for severity in _names(row, "severities", Severity, where):
                    for dishonest in set(applies) & _kinds(category, severity):
                        key = (category, severity, dishonest)
                        if key in table:
                            raise ConfigurationError(f"{where}: {_label(key)} is already covered")
                        table[key] = period
        needed = [(c, s, d) for c in Category for s in Severity for d in sorted(_kinds(c, s))]
        missing = [_label(key) for key in needed if key not in table]
        if missing:
            raise ConfigurationError(f"{source}: no period for {', '.join(missing)}")
        return cls(table, minors)


def _kinds(category: Category, severity: Severity) -> set[bool]:
    """Whether records of this category and severity can be dishonesty, other, or both (a credit
    commitment is dishonesty only when broken)."""
    return {is_dishonesty(category, severity, kept) for kept in (None, True, False)}


def _label(key: Key) -> str:
    category, severity, dishonest = key
    return f"{category} {severity}" + (
        "" if len(_kinds(category, severity)) == 1 else (" (dishonesty)" if dishonest else " (other)")
    )


def _period(row: Any, where: str) -> Period:
    if not isinstance(row, dict):
        raise ConfigurationError(f"{where}: expected a table")
    unknown = sorted(set(row) - _ROW_KEYS)
    if unknown:
        raise ConfigurationError(f"{where}: unknown key {unknown[0]!r}")
    low, high = row.get("min_months"), row.get("max_months")
    if not _months(low):
        raise ConfigurationError(f"{where}: min_months must be a whole number of months, 0 or more")
    if high is not None and not (_months(high) and high >= 1):
        raise ConfigurationError(f"{where}: max_months must be a whole number of months, 1 or more")
    assert isinstance(low, int)  # _months checked it
    if high is not None and low > high:
        raise ConfigurationError(f"{where}: min_months is above max_months")
    public, source = row.get("public"), row.get("source")
    if not isinstance(public, bool):
        raise ConfigurationError(f"{where}: public must be true or false")
    if not isinstance(source, str) or not source.strip():
        raise ConfigurationError(f"{where}: every period names its source")
    return Period(min_months=low, max_months=high, public=public, source=source.strip())


def _minors(row: object, where: str) -> MinorsPeriod:
    """The ``[minors]`` table; required, so that a table without it fails at start-up instead of
    showing minors' records for the adults' periods."""
    if not isinstance(row, dict):
        raise ConfigurationError(f"{where}: expected a [minors] table with max_months, source, local_default")
    unknown = sorted(set(row) - {"max_months", "source", "local_default"})
    if unknown:
        raise ConfigurationError(f"{where}: unknown key {unknown[0]!r}")
    months, source, local = row.get("max_months"), row.get("source"), row.get("local_default")
    if not (_months(months) and isinstance(months, int) and months >= 1):
        raise ConfigurationError(f"{where}: max_months must be a whole number of months, 1 or more")
    if not isinstance(source, str) or not source.strip():
        raise ConfigurationError(f"{where}: the minors' period names its source")
    if not isinstance(local, bool):
        raise ConfigurationError(f"{where}: local_default must be true or false")
    return MinorsPeriod(max_months=months, source=source.strip(), local_default=local)


def _months(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_MONTHS


def _names(row: dict[str, Any], key: str, enum: type[E], where: str) -> list[E]:
    raw = row.get(key)
    if raw == "*":
        return list(enum)
    if not isinstance(raw, list) or not raw or not all(isinstance(v, str) for v in raw):
        raise ConfigurationError(f'{where}: {key} must be a list of names or "*"')
    try:
        return [enum(v) for v in raw]
    except ValueError:
        raise ConfigurationError(f"{where}: {key} must be among {', '.join(enum)}") from None

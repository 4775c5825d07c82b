"""The display-period table: month arithmetic, windows at their boundaries, and validation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from gateway.domain import Category, Severity
from gateway.errors import ConfigurationError
from gateway.lifecycle.rules.periods import DisplayPeriods, add_months, today_in_china

POLICIES = Path(__file__).resolve().parent.parent / "policies"


@dataclass(frozen=True)
class Facts:
    category: Category = Category.ADMINISTRATIVE_PENALTY
    severity: Severity = Severity.GENERAL
    decision_date: date = date(2026, 3, 2)
    kept: bool | None = None
    publication_until: date | None = None
    committed_as_minor: bool = False


@pytest.fixture(scope="module")
def periods() -> DisplayPeriods:
    return DisplayPeriods.load(POLICIES)


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2026, 3, 2), 12, date(2027, 3, 2)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # no corresponding day: the month's last day
        (date(2027, 12, 31), 2, date(2028, 2, 29)),  # leap year
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 5, 15), 0, date(2026, 5, 15)),
    ],
)
def test_months_end_on_the_corresponding_day_or_the_month_end(start: date, months: int, end: date) -> None:
    assert add_months(start, months) == end


def test_today_is_the_date_in_china() -> None:
    assert today_in_china(datetime(2027, 3, 2, 15, 59, tzinfo=UTC)) == date(2027, 3, 2)
    assert today_in_china(datetime(2027, 3, 2, 16, 0, tzinfo=UTC)) == date(2027, 3, 3)


@pytest.mark.parametrize(
    ("severity", "last_day", "repairable_from", "public"),
    [
        (Severity.MINOR, date(2026, 6, 2), date(2026, 3, 2), False),
        (Severity.GENERAL, date(2027, 3, 2), date(2026, 6, 3), True),
        (Severity.SERIOUS, date(2029, 3, 2), date(2027, 3, 3), True),
    ],
)
def test_penalty_windows_follow_the_national_periods(
    periods: DisplayPeriods, severity: Severity, last_day: date, repairable_from: date, public: bool
) -> None:
    record = Facts(severity=severity)
    window = periods.window(record)
    assert (window.last_shown, window.repairable_from, window.public) == (last_day, repairable_from, public)
    assert periods.shown(record, last_day)
    assert not periods.shown(record, date.fromordinal(last_day.toordinal() + 1))


def test_licences_have_no_end_and_cannot_be_repaired(periods: DisplayPeriods) -> None:
    window = periods.window(Facts(category=Category.ADMINISTRATIVE_LICENSING, decision_date=date(2001, 1, 1)))
    assert window.last_shown is None and window.repairable_from is None
    assert window.shown_on(date(2099, 1, 1))


def test_an_earlier_publication_end_of_the_provider_wins(periods: DisplayPeriods) -> None:
    early = Facts(publication_until=date(2026, 9, 1))
    late = Facts(publication_until=date(2030, 1, 1))
    assert periods.window(early).last_shown == date(2026, 9, 1)
    assert periods.window(late).last_shown == date(2027, 3, 2)


def test_a_kept_commitment_is_not_repairable_a_broken_one_is(periods: DisplayPeriods) -> None:
    kept = Facts(category=Category.CREDIT_COMMITMENT, kept=True)
    broken = Facts(category=Category.CREDIT_COMMITMENT, kept=False)
    assert periods.window(kept).repairable_from is None
    assert periods.window(broken).repairable_from == date(2026, 6, 3)
    assert periods.window(kept).last_shown is None and periods.window(broken).last_shown == date(2027, 3, 2)
    minor_kept = periods.window(
        Facts(category=Category.CREDIT_COMMITMENT, kept=True, severity=Severity.MINOR)
    )
    assert minor_kept.public  # good news is published whatever the severity field says


def test_the_repository_table_covers_every_category_and_severity(periods: DisplayPeriods) -> None:
    rows = list(periods.rows())
    # Every category and severity once, and credit commitments twice: kept, and broken (dishonesty).
    assert len(rows) == len(Category) * len(Severity) + len(Severity)
    assert all(period.source for _, period in rows)


GOOD_ROW = """
[[period]]
categories = "*"
severities = "*"
min_months = 3
max_months = 12
public = true
source = "test"
"""
MINORS = """
[minors]
max_months = 6
local_default = true
source = "test"
"""


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not toml [", "not valid TOML"),
        ("x = 1", "expected ..period.. tables and a .minors. table"),
        (GOOD_ROW.replace("min_months = 3", "min_months = 13"), "min_months is above max_months"),
        (GOOD_ROW.replace("min_months = 3", "min_months = -1"), "min_months must be"),
        (GOOD_ROW.replace("min_months = 3", "min_months = true"), "min_months must be"),
        (GOOD_ROW.replace("max_months = 12", "max_months = 0"), "max_months must be"),
        (GOOD_ROW.replace("max_months = 12", 'max_months = "1 year"'), "max_months must be"),
        (GOOD_ROW.replace("public = true", 'public = "yes"'), "public must be true or false"),
        (GOOD_ROW.replace('source = "test"', 'source = " "'), "names its source"),
        (GOOD_ROW.replace('source = "test"', 'source = "test"\nmaximum = 3'), "unknown key 'maximum'"),
        (GOOD_ROW.replace('categories = "*"', 'categories = ["PARKING"]'), "categories must be among"),
        (GOOD_ROW.replace('severities = "*"', "severities = []"), "severities must be a list"),
        (GOOD_ROW.replace('categories = "*"', 'categories = ["COMMENDATION"]'), "no period for"),
        (GOOD_ROW + GOOD_ROW.replace('categories = "*"', 'categories = ["COMMENDATION"]'), "already covered"),
        (GOOD_ROW.replace('source = "test"', 'source = "test"\napplies_to = "bad"'), "applies_to must be"),
        (
            GOOD_ROW.replace('source = "test"', 'source = "test"\napplies_to = "other"'),
            "no period for .*CREDIT_COMMITMENT GENERAL .dishonesty.",
        ),
    ],
)
def test_a_bad_table_is_refused_at_load_naming_the_problem(text: str, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        DisplayPeriods.parse(text + MINORS, source="display-periods.toml")


@pytest.mark.parametrize(
    ("minors", "problem"),
    [
        ("", "expected a .minors. table"),
        (MINORS.replace("max_months = 6", "max_months = 0"), "max_months must be"),
        (MINORS.replace('source = "test"', 'source = ""'), "names its source"),
        (MINORS.replace("local_default = true", 'local_default = "yes"'), "local_default must be"),
        (MINORS + "extra = 1\n", "unknown key 'extra'"),
    ],
)
def test_the_minors_period_is_required_and_validated(minors: str, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        DisplayPeriods.parse(GOOD_ROW + minors, source="display-periods.toml")


@pytest.mark.parametrize(
    ("severity", "last_day", "repairable_from"),
    [
        (Severity.GENERAL, date(2026, 9, 2), date(2026, 6, 3)),  # 12 months cut to 6
        (Severity.SERIOUS, date(2026, 9, 2), date(2026, 9, 3)),  # 36 cut to 6; repair after those 6
        (Severity.MINOR, date(2026, 6, 2), date(2026, 3, 2)),  # its own 3 months are shorter
    ],
)
def test_a_minors_record_shows_for_the_shorter_period(
    periods: DisplayPeriods, severity: Severity, last_day: date, repairable_from: date
) -> None:
    window = periods.window(Facts(severity=severity, committed_as_minor=True))
    assert (window.last_shown, window.repairable_from) == (last_day, repairable_from)
    assert periods.minors is not None and periods.minors.local_default


def test_a_missing_table_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read the display-period table"):
        DisplayPeriods.load(tmp_path)


def test_a_table_without_ends_is_valid() -> None:
    periods = DisplayPeriods.parse(GOOD_ROW.replace("max_months = 12\n", "") + MINORS)
    assert periods.window(Facts()).last_shown is None

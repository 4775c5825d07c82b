"""Pure credit-check rules at their boundaries: lists in force, three clean years, measures."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from gateway.domain import Category, CheckMatter, ListKind, ListStatus, RecordStatus, Severity
from gateway.errors import ConfigurationError
from gateway.lifecycle.rules.checks import AppliedMeasure, CheckOutcome, CheckRules, Listing, check
from gateway.lifecycle.rules.periods import DisplayPeriods
from gateway.store.models import CreditRecord, ListEntry

POLICIES = Path(__file__).resolve().parent.parent / "policies"
PERIODS = DisplayPeriods.load(POLICIES)
RULES = CheckRules.load(POLICIES)
LICENSING = CheckMatter.ADMINISTRATIVE_LICENSING


def rec(
    severity: Severity = Severity.GENERAL, status: RecordStatus = RecordStatus.ACTIVE, **kw: object
) -> CreditRecord:
    values: dict[str, object] = {
        "category": Category.ADMINISTRATIVE_PENALTY, "severity": severity, "status": status,
        "decision_date": date(2026, 3, 2), "kept": None, "publication_until": None, "procedure": None,
    }  # fmt: skip
    values.update(kw)
    return CreditRecord(**values)


def entry(kind: ListKind, *records: CreditRecord, **kw: object) -> Listing:
    values: dict[str, object] = {
        "kind": kind,
        "status": ListStatus.LISTED,
        "listed_on": date(2026, 3, 10),
        "planned_exit": None,
    }
    values.update(kw)
    return Listing(ListEntry(**values), records)


def run(
    today: date,
    records: tuple[CreditRecord, ...] = (),
    listings: tuple[Listing, ...] = (),
    matter: CheckMatter = LICENSING,
) -> CheckOutcome:
    return check(matter=matter, records=records, listings=listings, today=today, periods=PERIODS, rules=RULES)


def codes(applied: tuple[AppliedMeasure, ...]) -> list[str]:
    return [a.measure.code for a in applied]


def test_a_subject_with_nothing_is_clean_and_facilitated() -> None:
    outcome = run(date(2026, 11, 25))
    assert outcome.three_years_clean and outcome.clean_from is None
    assert codes(outcome.facilitation) == ["GREEN_CHANNEL", "ACCEPT_WITH_MISSING_DOCUMENTS"]
    assert outcome.restrictions == ()


@pytest.mark.parametrize(
    ("severity", "last_day"),
    [(Severity.GENERAL, date(2027, 3, 2)), (Severity.SERIOUS, date(2029, 3, 2))],
)
def test_a_dishonesty_record_breaks_clean_until_its_period_ends(severity: Severity, last_day: date) -> None:
    record = rec(severity)
    during = run(last_day, (record,))
    assert not during.three_years_clean and during.dishonesty == (record,)
    assert during.clean_from == date(2029, 3, 3) and during.facilitation == ()
    after = run(date.fromordinal(last_day.toordinal() + 1), (record,))  # no longer used by any check
    assert after.three_years_clean and codes(after.facilitation)


@pytest.mark.parametrize("status", [RecordStatus.REPAIRED, RecordStatus.REVOKED, RecordStatus.EXPIRED])
def test_repaired_revoked_and_expired_records_never_count(status: RecordStatus) -> None:
    outcome = run(date(2026, 11, 25), (rec(Severity.SERIOUS, status),))
    assert outcome.three_years_clean


def test_black_listing_restricts_cites_its_records_and_excludes_facilitation() -> None:
    serious = rec(Severity.SERIOUS)
    outcome = run(date(2026, 11, 25), (serious,), (entry(ListKind.BLACK, serious), entry(ListKind.RED)))
    assert codes(outcome.restrictions) == ["STRICT_REVIEW"]
    assert outcome.restrictions[0].records == (serious,)
    assert outcome.facilitation == () and outcome.red


def test_a_black_listing_whose_records_were_repaired_no_longer_restricts() -> None:
    repaired = rec(Severity.SERIOUS, RecordStatus.REPAIRED)
    outcome = run(date(2026, 11, 25), (repaired,), (entry(ListKind.BLACK, repaired),))
    assert outcome.black == () and outcome.restrictions == ()
    assert codes(outcome.facilitation) == ["GREEN_CHANNEL", "ACCEPT_WITH_MISSING_DOCUMENTS"]


def test_a_listing_is_in_force_through_its_planned_exit_and_not_once_exited() -> None:
    planned = entry(ListKind.BLACK, planned_exit=date(2026, 12, 31))
    assert run(date(2026, 12, 31), listings=(planned,)).black
    assert not run(date(2027, 1, 1), listings=(planned,)).black
    exited = entry(ListKind.BLACK, status=ListStatus.EXITED, exited_on=date(2026, 5, 1))
    assert not run(date(2026, 11, 25), listings=(exited,)).black
    future = entry(ListKind.BLACK, listed_on=date(2026, 12, 1))
    assert not run(date(2026, 11, 25), listings=(future,)).black


def test_a_red_listing_facilitates_despite_a_recent_general_record() -> None:
    red = entry(ListKind.RED)
    outcome = run(date(2026, 11, 25), (rec(),), (red,), matter=CheckMatter.PUBLIC_PROCUREMENT)
    assert not outcome.three_years_clean
    assert codes(outcome.facilitation) == ["CREDIT_BONUS"]
    assert outcome.facilitation[0].listings == (red,)


def test_every_matter_has_restrictions_and_facilitation() -> None:
    for matter in CheckMatter:
        assert RULES.restrictions[matter] and RULES.facilitation[matter]
        assert all(m.source for m in RULES.restrictions[matter] + RULES.facilitation[matter])


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("clean_years = 3", "clean_years = 0", "clean_years"),
        ('matter = "COMMENDATION"\ncode = "VETO"', 'matter = "PARTY"\ncode = "VETO"', "matter must be among"),
        ('code = "PRIORITY_SERVICE"', 'code = ""', "code must be"),
        ('code = "CLOSE_SUPERVISION"', 'code = "X"\nextra = 1', "needs exactly"),
    ],
)
def test_a_bad_check_file_stops_start_up(tmp_path: Path, old: str, new: str, problem: str) -> None:
    policies = Path(shutil.copytree(POLICIES, tmp_path / "policies"))
    path = policies / "credit-check.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(ConfigurationError, match=problem):
        CheckRules.load(policies)


def test_a_matter_without_measures_stops_start_up(tmp_path: Path) -> None:
    policies = Path(shutil.copytree(POLICIES, tmp_path / "policies"))
    path = policies / "credit-check.toml"
    text = path.read_text(encoding="utf-8")
    cut = text.index('[[facilitation]]\nmatter = "PUBLIC_SERVICE"')
    path.write_text(text[:cut], encoding="utf-8")
    with pytest.raises(ConfigurationError, match="no measure for PUBLIC_SERVICE"):
        CheckRules.load(policies)

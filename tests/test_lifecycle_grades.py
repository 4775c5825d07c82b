"""Pure evaluation rules: scores, grade thresholds, caps, and what never counts."""

from __future__ import annotations

import shutil
import tomllib
from datetime import date
from pathlib import Path

import pytest

from gateway.domain import Category, ListKind, ListStatus, RecordStatus, Severity
from gateway.errors import ConfigurationError
from gateway.lifecycle.rules.checks import Listing
from gateway.lifecycle.rules.grades import Evaluation, Grade, GradeRules, evaluate
from gateway.lifecycle.rules.periods import DisplayPeriods
from gateway.store.models import CreditRecord, ListEntry

POLICIES = Path(__file__).resolve().parent.parent / "policies"
PERIODS = DisplayPeriods.load(POLICIES)
RULES = GradeRules.load(POLICIES)
TODAY = date(2026, 11, 25)


def rec(doc: str, category: Category = Category.ADMINISTRATIVE_PENALTY, **kw: object) -> CreditRecord:
    values: dict[str, object] = {
        "id": doc, "document_number": doc, "category": category, "severity": Severity.GENERAL,
        "status": RecordStatus.ACTIVE, "decision_date": date(2026, 6, 1), "kept": None, "publication_until": None,
    }  # fmt: skip
    values.update(kw)
    return CreditRecord(**values)


def listing(kind: ListKind, *records: CreditRecord) -> Listing:
    entry = ListEntry(
        kind=kind, status=ListStatus.LISTED, listed_on=date(2026, 1, 1), planned_exit=None, list_name=kind
    )
    return Listing(entry, records)


def run(
    records: tuple[CreditRecord, ...] = (), listings: tuple[Listing, ...] = (), today: date = TODAY
) -> Evaluation:
    return evaluate(records=records, listings=listings, today=today, periods=PERIODS, rules=RULES)


@pytest.mark.parametrize(
    ("score", "grade"), [(100, Grade.A), (90, Grade.A), (89, Grade.B), (75, Grade.B), (74, Grade.C), (60, Grade.C),
                         (59, Grade.D), (0, Grade.D)],
)  # fmt: skip
def test_grade_thresholds(score: int, grade: Grade) -> None:
    assert RULES.grade(score) is grade


def test_nothing_recorded_is_an_a() -> None:
    evaluation = run()
    assert (evaluation.score, evaluation.grade, evaluation.contributions) == (90, Grade.A, ())


def test_each_record_contributes_and_says_why() -> None:
    records = (
        rec("serious", severity=Severity.SERIOUS),
        rec("general", decision_date=date(2026, 5, 1)),
        rec("licence", Category.ADMINISTRATIVE_LICENSING),
    )
    evaluation = run(records)
    assert [(c.record.document_number, c.points, c.rule) for c in evaluation.contributions if c.record] == [
        ("licence", 0, "administrative_licensing: neutral"),
        ("serious", -40, "serious dishonesty: -40"),
        ("general", -15, "general dishonesty: -15"),
    ]
    assert (evaluation.score, evaluation.grade) == (35, Grade.D)


@pytest.mark.parametrize("status", [RecordStatus.REPAIRED, RecordStatus.REVOKED, RecordStatus.EXPIRED])
def test_repaired_revoked_and_expired_records_never_count(status: RecordStatus) -> None:
    evaluation = run((rec("x", severity=Severity.SERIOUS, status=status),))
    assert (evaluation.score, evaluation.contributions) == (90, ())


def test_a_record_counts_through_the_last_day_of_its_period_and_not_after() -> None:
    general = (rec("g", decision_date=date(2026, 3, 2)),)
    assert run(general, today=date(2027, 3, 2)).score == 75
    assert run(general, today=date(2027, 3, 3)).score == 90


def test_good_records_add_up_to_the_cap_and_kept_commitments_are_good() -> None:
    commendations = [
        rec(f"c{n}", Category.COMMENDATION, decision_date=date(2026, 1, 10 + n)) for n in range(3)
    ]
    kept = rec("kept", Category.CREDIT_COMMITMENT, kept=True, decision_date=date(2026, 1, 1))
    good = (*commendations, kept)
    evaluation = run(good)
    assert [c.points for c in evaluation.contributions] == [5, 5, 5, 0]
    assert evaluation.contributions[-1].rule == "good record: 0 (the 15-point cap is reached)"
    assert evaluation.score == 100  # the ceiling


def test_a_black_listing_caps_the_grade_and_a_red_one_adds() -> None:
    red = run(listings=(listing(ListKind.RED),), records=(rec("g"),))
    assert (red.score, red.grade) == (85, Grade.B)
    good = tuple(rec(f"c{n}", Category.COMMENDATION) for n in range(3))
    black = run(good, (listing(ListKind.BLACK), listing(ListKind.RED)))
    assert (
        black.score == 75 and black.grade is Grade.D and black.capped_by == "black-listed: graded D at best"
    )
    plain = run(listings=(listing(ListKind.BLACK),))
    assert (plain.score, plain.grade, plain.capped_by) == (50, Grade.D, None)  # D by its score alone


def test_the_evaluation_is_deterministic_whatever_the_order_of_rows() -> None:
    records = tuple(rec(f"r{n}", decision_date=date(2026, 6, 1 + n % 3)) for n in range(6))
    first = [(c.record.document_number, c.points) for c in run(records).contributions if c.record]
    second = [(c.record.document_number, c.points) for c in run(records[::-1]).contributions if c.record]
    assert first == second


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("B = 75", "B = 95", "fall strictly"),
        ("D = 0", "D = 5", "fall strictly"),
        ("SERIOUS = -40", "SERIOUS = 40", "dishonesty.SERIOUS"),
        ('black_listed_at_best = "D"', 'black_listed_at_best = "E"', "black_listed_at_best"),
        ("kept_commitments = true", 'kept_commitments = "yes"', "kept_commitments"),
        ("start = 90 ", "start = 190 ", "start"),
        ("cap = 15", "cap = 15\nbonus = 1", "unknown key 'bonus'"),
    ],
)
def test_a_bad_grade_file_stops_start_up(tmp_path: Path, old: str, new: str, problem: str) -> None:
    policies = Path(shutil.copytree(POLICIES, tmp_path / "policies"))
    path = policies / "credit-grades.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(ConfigurationError, match=problem):
        GradeRules.load(policies)


def test_the_repository_file_is_what_the_docs_describe() -> None:
    doc = tomllib.loads((POLICIES / "credit-grades.toml").read_text(encoding="utf-8"))
    assert doc["start"] == RULES.start == 90 and RULES.minimums == {
        Grade.A: 90,
        Grade.B: 75,
        Grade.C: 60,
        Grade.D: 0,
    }

"""Pure repair rules: when a record may be repaired, at the boundaries of its display period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from gateway.domain import Category, RecordStatus, Severity
from gateway.errors import InvalidState, RepairTooEarly
from gateway.lifecycle.rules.periods import DisplayPeriods
from gateway.lifecycle.rules.repair import check_repairable

PERIODS = DisplayPeriods.load(Path(__file__).resolve().parent.parent / "policies")


@dataclass(frozen=True)
class Rec:
    severity: Severity = Severity.GENERAL
    status: RecordStatus = RecordStatus.ACTIVE
    category: Category = Category.ADMINISTRATIVE_PENALTY
    decision_date: date = date(2026, 3, 2)
    kept: bool | None = None
    publication_until: date | None = None
    committed_as_minor: bool = False


@pytest.mark.parametrize(
    ("record", "too_early", "first_day", "last_day"),
    [
        (Rec(severity=Severity.MINOR), None, date(2026, 3, 2), date(2026, 6, 2)),
        (Rec(), date(2026, 6, 2), date(2026, 6, 3), date(2027, 3, 2)),
        (Rec(severity=Severity.SERIOUS), date(2027, 3, 2), date(2027, 3, 3), date(2029, 3, 2)),
        (Rec(category=Category.CREDIT_COMMITMENT, kept=False), date(2026, 6, 2), date(2026, 6, 3), date(2027, 3, 2)),
    ],
)  # fmt: skip
def test_repair_opens_the_day_after_the_minimum_and_closes_with_the_display(
    record: Rec, too_early: date | None, first_day: date, last_day: date
) -> None:
    if too_early is not None:
        with pytest.raises(RepairTooEarly, match=first_day.isoformat()):
            check_repairable(record, today=too_early, periods=PERIODS)
    check_repairable(record, today=first_day, periods=PERIODS)
    check_repairable(record, today=last_day, periods=PERIODS)
    with pytest.raises(InvalidState, match="past its display period"):
        check_repairable(record, today=date.fromordinal(last_day.toordinal() + 1), periods=PERIODS)


@pytest.mark.parametrize(
    "record",
    [
        Rec(category=Category.ADMINISTRATIVE_LICENSING),
        Rec(category=Category.CREDIT_COMMITMENT, kept=True),
        Rec(status=RecordStatus.UNDER_OBJECTION),
        Rec(status=RecordStatus.REVOKED),
        Rec(status=RecordStatus.REPAIRED),
        Rec(status=RecordStatus.EXPIRED),
    ],
)
def test_what_is_never_repaired(record: Rec) -> None:
    with pytest.raises(InvalidState) as raised:
        check_repairable(record, today=date(2026, 12, 1), periods=PERIODS)
    assert not isinstance(raised.value, RepairTooEarly)


def test_a_corrected_record_can_be_repaired() -> None:
    check_repairable(Rec(status=RecordStatus.CORRECTED), today=date(2026, 12, 1), periods=PERIODS)

"""Pure data-quality measures: what is in scope, what is published today, the rates' denominators."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from gateway.domain import Category, Procedure, RecordStatus, Severity, SubjectKind
from gateway.lifecycle.rules.periods import DisplayPeriods
from gateway.lifecycle.rules.quality import measure
from gateway.store.models import CreditRecord

PERIODS = DisplayPeriods.load(Path(__file__).resolve().parent.parent / "policies")
ORG, PERSON = SubjectKind.ORGANIZATION, SubjectKind.PERSON


def rec(category: Category = Category.ADMINISTRATIVE_PENALTY, **kw: object) -> CreditRecord:
    values: dict[str, object] = {
        "category": category, "severity": Severity.GENERAL, "status": RecordStatus.ACTIVE,
        "procedure": Procedure.GENERAL if category is Category.ADMINISTRATIVE_PENALTY else None,
        "decision_date": date(2026, 3, 2), "kept": None, "publication_until": None,
        "received_within_deadline": True,
    }  # fmt: skip
    values.update(kw)
    return CreditRecord(**values)


def test_scope_publication_and_rates() -> None:
    records = [
        (rec(), ORG),
        (rec(procedure=Procedure.SIMPLE), ORG),  # out of scope
        (rec(), PERSON),  # out of scope
        (rec(severity=Severity.MINOR), ORG),  # minor: not public, out of scope
        (rec(Category.ADMINISTRATIVE_LICENSING, received_within_deadline=False), ORG),
        (rec(status=RecordStatus.REVOKED), ORG),  # in scope, not published
    ]
    m = measure("A", records=records, rejected_rows=2, today=date(2026, 11, 25), periods=PERIODS)
    assert (m.records, m.in_scope, m.published, m.within_deadline) == (6, 3, 2, 5)
    assert m.publication_rate == 0.4  # 2 / (3 + 2)
    assert m.within_deadline_rate == 0.8333
    assert m.validation_pass_rate == 0.75  # 6 / 8
    assert m.covered == {Category.ADMINISTRATIVE_PENALTY, Category.ADMINISTRATIVE_LICENSING}
    assert m.category_coverage == 0.2 and len(m.missing) == 8
    later = measure("A", records=records, rejected_rows=2, today=date(2027, 3, 3), periods=PERIODS)
    assert later.published == 1  # the general penalty's year is over; the licence has no end


def test_no_rows_no_rates() -> None:
    m = measure("A", records=[], rejected_rows=0, today=date(2026, 11, 25), periods=PERIODS)
    assert (m.publication_rate, m.within_deadline_rate, m.validation_pass_rate, m.category_coverage) == (
        None, None, None, 0.0,
    )  # fmt: skip

"""Pure objection rules: working-day deadlines, standing, resolutions, corrections, the rule file."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from gateway.access.tokens import Caller, Role
from gateway.domain import Category, FilerKind, ObjectionStatus, RecordStatus, Severity, SubjectKind
from gateway.errors import ConfigurationError, InvalidInput, InvalidState, NotEntitled
from gateway.lifecycle.rules.loading import LifecycleRules
from gateway.lifecycle.rules.objections import (
    check_objectionable,
    due_on,
    is_overdue,
    parse_correction,
    record_status_after,
)
from gateway.lifecycle.rules.standing import deciding_authority, filer_id, standing
from gateway.workdays import WorkCalendar
from tests.helpers import credit_code

POLICIES = Path(__file__).resolve().parent.parent / "policies"
PERSON, OTHER, ORG = "a" * 32, "b" * 32, "c" * 32
AUTHORITY = credit_code("113717000000011")


@pytest.mark.parametrize(
    ("filed", "days", "due"),
    [
        (date(2026, 3, 12), 10, date(2026, 3, 26)),  # Thursday: two plain weeks
        (date(2026, 4, 29), 10, date(2026, 5, 15)),  # across Labour Day, with Saturday 9 May worked
        (date(2026, 3, 13), 1, date(2026, 3, 16)),  # Friday: the next working day is Monday
    ],
)
def test_deadlines_count_working_days(filed: date, days: int, due: date) -> None:
    assert due_on(filed, days, WorkCalendar.load()) == due


def test_overdue_from_the_day_after_the_deadline_while_open() -> None:
    due = date(2026, 3, 26)
    assert not is_overdue(ObjectionStatus.OPEN, due, due)
    assert is_overdue(ObjectionStatus.OPEN, due, date(2026, 3, 27))
    assert not is_overdue(ObjectionStatus.UPHELD, due, date(2026, 3, 27))


@pytest.mark.parametrize(
    ("caller", "kind", "rep", "expected"),
    [
        (Caller("p", Role.INDIVIDUAL, person_id=PERSON), SubjectKind.PERSON, None, FilerKind.SUBJECT),
        (Caller("p", Role.INDIVIDUAL, person_id=PERSON), SubjectKind.ORGANIZATION, PERSON,
         FilerKind.LEGAL_REPRESENTATIVE),
        (Caller("o", Role.PARTNER, org_code=AUTHORITY), SubjectKind.ORGANIZATION, None, FilerKind.AGENCY),
        (Caller("o", Role.PARTNER, org_code=AUTHORITY), SubjectKind.GOVERNMENT_AGENCY, None, FilerKind.AGENCY),
        (Caller("p", Role.INDIVIDUAL, person_id=OTHER), SubjectKind.ORGANIZATION, PERSON, None),
        (Caller("p", Role.INDIVIDUAL, person_id=OTHER), SubjectKind.PERSON, None, None),
        (Caller("o", Role.PARTNER, org_code=AUTHORITY), SubjectKind.PERSON, None, None),
        (Caller("o", Role.PROVIDER, org_code=AUTHORITY), SubjectKind.ORGANIZATION, None, None),
        (Caller("a", Role.ADMIN), SubjectKind.ORGANIZATION, None, None),
    ],
)  # fmt: skip
def test_standing(caller: Caller, kind: SubjectKind, rep: str | None, expected: FilerKind | None) -> None:
    subject = PERSON if kind is SubjectKind.PERSON else ORG
    if expected is None:
        with pytest.raises(NotEntitled):
            standing(caller, subject_id=subject, subject_kind=kind, legal_representative_id=rep)
    else:
        assert (
            standing(caller, subject_id=subject, subject_kind=kind, legal_representative_id=rep) is expected
        )


ENTERPRISE = Caller("e", Role.ENTERPRISE, org_code=credit_code("913717020000777"))


@pytest.mark.parametrize(
    ("own", "subject", "kind", "expected"),
    [
        (ORG, ORG, SubjectKind.ORGANIZATION, FilerKind.SUBJECT),  # its own organisation's record
        (OTHER, ORG, SubjectKind.ORGANIZATION, None),  # another organisation's
        (None, ORG, SubjectKind.ORGANIZATION, None),  # its code names no organisation of the store
        (PERSON, PERSON, SubjectKind.PERSON, None),  # never a person's, even by a mixed-up id
        (ORG, ORG, SubjectKind.GOVERNMENT_AGENCY, None),  # agencies sign in as partners or providers
    ],
)  # fmt: skip
def test_an_enterprise_acts_for_its_own_organisation_alone(
    own: str | None, subject: str, kind: SubjectKind, expected: FilerKind | None
) -> None:
    def decide() -> FilerKind:
        return standing(
            ENTERPRISE,
            subject_id=subject,
            subject_kind=kind,
            legal_representative_id=None,
            caller_organization_id=own,
        )

    if expected is None:
        with pytest.raises(NotEntitled):
            decide()
    else:
        assert decide() is expected
    assert filer_id(ENTERPRISE) == ENTERPRISE.org_code  # recorded by its credit code


def test_only_the_issuing_authoritys_provider_decides() -> None:
    assert deciding_authority(Caller("o", Role.PROVIDER, org_code=AUTHORITY), AUTHORITY) == AUTHORITY
    for caller in (
        Caller("o", Role.PROVIDER, org_code=credit_code("113717000000099")),
        Caller("a", Role.ADMIN),
    ):
        with pytest.raises(NotEntitled):
            deciding_authority(caller, AUTHORITY)


@pytest.mark.parametrize("status", list(RecordStatus))
def test_which_records_can_be_objected_to(status: RecordStatus) -> None:
    if status in (RecordStatus.ACTIVE, RecordStatus.CORRECTED):
        check_objectionable(status)
    else:
        with pytest.raises(InvalidState):
            check_objectionable(status)


def test_resolutions_set_the_record_status() -> None:
    assert record_status_after(ObjectionStatus.CORRECTED, RecordStatus.ACTIVE) is RecordStatus.CORRECTED
    assert record_status_after(ObjectionStatus.REVOKED, RecordStatus.CORRECTED) is RecordStatus.REVOKED
    assert record_status_after(ObjectionStatus.UPHELD, RecordStatus.CORRECTED) is RecordStatus.CORRECTED
    with pytest.raises(InvalidInput):
        record_status_after(ObjectionStatus.OPEN, RecordStatus.ACTIVE)


def test_a_correction_is_validated_like_an_import() -> None:
    changes = parse_correction(
        {"content": " 新内容 ", "severity": "serious", "amount10kYuan": "1.5", "validUntil": "2027/1/2"},
        category=Category.ADMINISTRATIVE_PENALTY,
        today=date(2026, 3, 12),
    )
    assert changes["content"] == "新内容" and changes["severity"] is Severity.SERIOUS
    assert str(changes["amount_10k_yuan"]) == "1.5" and changes["valid_until"] == date(2027, 1, 2)
    for bad in (
        {},
        {"content": None},
        {"severity": "HUGE"},
        {"amount10kYuan": "-1"},
        {"procedure": "SIMPLE"},
    ):
        with pytest.raises(InvalidInput):
            parse_correction(bad, category=Category.ADMINISTRATIVE_LICENSING, today=date(2026, 3, 12))


def test_the_repository_rules_load() -> None:
    rules = LifecycleRules.load(POLICIES)
    assert rules.objections.deadline_working_days == 10 and rules.objections.source


@pytest.mark.parametrize(
    ("replace", "problem"),
    [
        ("deadline_working_days = 10", "deadline_working_days = 0"),
        ("deadline_working_days = 10", 'deadline_working_days = "ten"'),
        ("[objections]", "[objection]"),
        ("deadline_working_days = 10", "deadline_working_days = 10\ngrace = 1"),
    ],
)
def test_a_bad_lifecycle_file_stops_start_up(tmp_path: Path, replace: str, problem: str) -> None:
    policies = Path(shutil.copytree(POLICIES, tmp_path / "policies"))
    path = policies / "lifecycle.toml"
    text = path.read_text(encoding="utf-8")
    assert replace in text
    path.write_text(text.replace(replace, problem), encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"lifecycle\.toml"):
        LifecycleRules.load(policies)

"""Minors (001 (十三), 004 个人 四(三)), through real HTTP on both databases.

A provider submits three records about a person who turned 18 on 2026-03-01: acts on that birthday
(still a minor's, 周岁 counted from the day after) and after it, and one without an act date (the decision
date stands for it). The minor's record shows to its subject for the shorter period of
``policies/display-periods.toml`` and is kept out of the grade; the adult's show for the full period.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from gateway.access.tokens import Role
from gateway.access.visibility import in_publication_scope, publishable
from gateway.domain import Category, Procedure, RecordStatus, Severity, SubjectKind
from gateway.keys.crypto import FieldCipher
from gateway.lifecycle.rules.minors import acted_as_minor
from gateway.lifecycle.rules.periods import DisplayPeriods
from gateway.store import db
from gateway.store.inputs import PersonInput
from gateway.store.models import CreditRecord
from gateway.store.writer import StoreWriter
from gateway.workdays import WorkCalendar
from tests.clock import Clock
from tests.gateway_fixtures import MARKET, REPO, build_env
from tests.gql import Served, serve
from tests.helpers import id_number

YOUNG = PersonInput(name="小周", id_number=id_number(region="371702", born=date(2008, 3, 1), seq=61))
SUBMIT = """
mutation($records: [RecordSubmission!]!) {
  submitRecords(records: $records) { created rejected { index field reason } }
}"""
ME = "{ me { records { documentNumber actDate displayUntil repairableFrom } } }"
MINE = "{ myCreditEvaluation { score grade contributions { points record { documentNumber } } } }"
ON_BIRTHDAY, AFTER, UNDATED = "菏市监罚〔2026〕31号", "菏市监罚〔2026〕32号", "菏市监罚〔2026〕33号"


def submission(number: str, act_date: str | None) -> dict[str, Any]:
    return {
        "subjectIdNumber": YOUNG.id_number,
        "category": "ADMINISTRATIVE_PENALTY",
        "documentNumber": number,
        "authorityCode": MARKET.credit_code,
        "decisionDate": "2026-03-05",
        "actDate": act_date,
        "content": "无证经营",
        "severity": "GENERAL",
    }


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[Served]:
    env = build_env(tmp_path, database_url)
    engine = db.make_engine(database_url)
    try:
        with Session(engine) as session, session.begin():
            writer = StoreWriter(session, FieldCipher(env.keyring), calendar=WorkCalendar.load())
            env.ids["young"] = writer.write([YOUNG])[0].id or ""
    finally:
        engine.dispose()
    with serve(env, Clock(datetime(2026, 3, 12, 2, 0, tzinfo=UTC))) as s:
        records = [
            submission(ON_BIRTHDAY, "2026-03-01"),
            submission(AFTER, "2026-03-02"),
            submission(UNDATED, None),
        ]
        result = s.data(SUBMIT, {"records": records}, s.provider(MARKET.credit_code))["submitRecords"]
        assert (result["created"], result["rejected"]) == (3, [])
        yield s


def mine(s: Served) -> dict[str, dict[str, Any]]:
    me = s.data(ME, None, s.env.headers(Role.INDIVIDUAL, person_id=s.env.ids["young"]))["me"]
    return {r["documentNumber"]: r for r in me["records"]}


def test_a_minors_record_shows_to_its_subject_for_the_shorter_period(served: Served) -> None:
    records = mine(served)
    assert {n: (r["actDate"], r["displayUntil"]) for n, r in records.items()} == {
        ON_BIRTHDAY: ("2026-03-01", "2026-09-05"),  # 6 months (local default), not 12
        AFTER: ("2026-03-02", "2027-03-05"),
        UNDATED: (None, "2027-03-05"),
    }
    assert records[ON_BIRTHDAY]["repairableFrom"] == "2026-06-06"  # the general 3 months still apply
    served.clock.on(date(2026, 9, 5))
    assert set(mine(served)) == {ON_BIRTHDAY, AFTER, UNDATED}
    served.clock.on(date(2026, 9, 6))
    assert set(mine(served)) == {AFTER, UNDATED}


def test_a_minors_record_is_kept_out_of_the_grade(served: Served) -> None:
    grade = served.data(MINE, None, served.env.headers(Role.INDIVIDUAL, person_id=served.env.ids["young"]))
    evaluation = grade["myCreditEvaluation"]
    assert {c["record"]["documentNumber"]: c["points"] for c in evaluation["contributions"]} == {
        AFTER: -15,
        UNDATED: -15,
    }
    assert (evaluation["score"], evaluation["grade"]) == (60, "C")


def test_an_act_date_after_the_decision_is_refused(served: Served) -> None:
    late = {**submission("菏市监罚〔2026〕34号", "2026-03-06")}
    result = served.data(SUBMIT, {"records": [late]}, served.provider(MARKET.credit_code))["submitRecords"]
    assert result["rejected"] == [{"index": 0, "field": "actDate", "reason": "is after decisionDate"}]


@pytest.mark.parametrize(
    ("act", "minor"),
    [(date(2026, 3, 1), True), (date(2026, 3, 2), False), (date(2010, 1, 1), True), (None, False)],
)
def test_a_minor_is_under_18_through_the_18th_birthday(act: date | None, minor: bool) -> None:
    assert acted_as_minor(YOUNG.id_number, act_date=act, decision_date=date(2026, 3, 5)) is minor
    assert acted_as_minor(None, act_date=act, decision_date=date(2026, 3, 5)) is False


def test_a_minors_record_is_never_published_whoever_it_is_about() -> None:
    periods = DisplayPeriods.load(REPO / "policies")
    record = CreditRecord(
        category=Category.ADMINISTRATIVE_PENALTY,
        severity=Severity.GENERAL,
        procedure=Procedure.GENERAL,
        status=RecordStatus.ACTIVE,
        kept=None,
        decision_date=date(2026, 3, 5),
        publication_until=None,
        committed_as_minor=True,
    )
    for kind in SubjectKind:
        assert not in_publication_scope(record, kind, periods=periods)
        assert not publishable(record, kind, today=date(2026, 3, 12), periods=periods)
    record.committed_as_minor = False
    assert publishable(record, SubjectKind.ORGANIZATION, today=date(2026, 3, 12), periods=periods)

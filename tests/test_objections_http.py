"""Objections through real HTTP: filing marks the record at once, each resolution does what it says,
the deadline counts working days, and only the right callers may act."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.domain import AgencyKind
from gateway.store import db
from gateway.store.models import CreditRecordVersion
from tests.clock import Clock
from tests.gateway_fixtures import COMPANY, MARKET, build_env
from tests.gql import Served, codes, serve
from tests.helpers import credit_code

SERIOUS = "菏市监罚〔2026〕1号"
PERSONAL = "菏市监罚〔2026〕4号"
OTHER_AUTHORITY = credit_code("113717000000099")

ORG = """
query($code: String!) {
  organization(creditCode: $code) { records { id documentNumber status content severity version } }
}"""
ME = "{ me { records { id documentNumber status } } }"
FILE = """
mutation($record: ID!, $reason: String!, $evidence: String!) {
  fileObjection(input: {recordId: $record, reason: $reason, evidence: $evidence}) {
    id status filerKind dueOn overdue record { documentNumber status }
  }
}"""
RESOLVE = """
mutation($id: ID!, $outcome: ObjectionStatus!, $reason: String!, $correction: RecordCorrection) {
  resolveObjection(input: {objectionId: $id, outcome: $outcome, reason: $reason, correction: $correction}) {
    id status resolution recordVersion record { documentNumber status content severity version }
  }
}"""
OVERDUE = "{ overdueObjections { id overdue dueOn } }"


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[Served]:
    env = build_env(tmp_path, database_url)
    clock = Clock(datetime(2026, 3, 12, 2, 0, tzinfo=UTC))  # Thursday 2026-03-12 in China
    with serve(env, clock) as s:
        yield s


def record_id(s: Served, document: str) -> str:
    org = s.data(ORG, {"code": COMPANY.credit_code}, s.admin())["organization"]
    me = s.data(ME, None, s.individual())["me"]
    return next(r["id"] for r in org["records"] + me["records"] if r["documentNumber"] == document)


def public_record(s: Served, document: str) -> dict[str, Any] | None:
    records = s.data(ORG, {"code": COMPANY.credit_code})["organization"]["records"]
    return next((r for r in records if r["documentNumber"] == document), None)


def file(s: Served, document: str, headers: dict[str, str]) -> dict[str, Any]:
    variables = {"record": record_id(s, document), "reason": "处罚对象错误", "evidence": "营业执照副本"}
    return s.gql(FILE, variables, headers)


def resolve(s: Served, objection: str, outcome: str, **extra: Any) -> dict[str, Any]:
    variables = {"id": objection, "outcome": outcome, "reason": "经核实", **extra}
    return s.gql(RESOLVE, variables, s.provider(MARKET.credit_code))


def test_a_legal_representative_objects_and_the_public_sees_it_under_objection_at_once(
    served: Served,
) -> None:
    body = file(served, SERIOUS, served.individual())
    objection = body["data"]["fileObjection"]
    assert objection["status"] == "OPEN" and objection["filerKind"] == "LEGAL_REPRESENTATIVE"
    assert objection["dueOn"] == "2026-03-26" and objection["overdue"] is False
    assert objection["record"] == {"documentNumber": SERIOUS, "status": "UNDER_OBJECTION"}
    assert public_record(served, SERIOUS)["status"] == "UNDER_OBJECTION"  # type: ignore[index]
    again = file(served, SERIOUS, served.partner())
    assert codes(again) == ["INVALID_STATE"]


def test_corrected_changes_fields_and_keeps_the_old_version(served: Served) -> None:
    objection = file(served, SERIOUS, served.partner())["data"]["fileObjection"]
    assert objection["filerKind"] == "AGENCY"
    correction = {"content": "销售标签不合格食品，罚款5千元", "severity": "GENERAL"}
    body = resolve(served, objection["id"], "CORRECTED", correction=correction)
    resolved = body["data"]["resolveObjection"]
    assert resolved["status"] == "CORRECTED" and resolved["recordVersion"] == 2
    assert resolved["record"] == {
        "documentNumber": SERIOUS, "status": "CORRECTED", "content": correction["content"],
        "severity": "GENERAL", "version": 2,
    }  # fmt: skip
    public = public_record(served, SERIOUS)
    assert public is not None and public["status"] == "CORRECTED" and public["severity"] == "GENERAL"
    engine = db.make_engine(served.env.settings.database_url)
    try:
        with Session(engine) as session:
            versions = session.scalars(select(CreditRecordVersion)).all()
    finally:
        engine.dispose()
    assert [(v.version, v.snapshot["content"], v.snapshot["status"]) for v in versions] == [
        (1, "销售不合格食品，罚款2万元", "UNDER_OBJECTION")
    ]
    assert versions[0].reason.startswith(f"objection {objection['id']}: 经核实")


def test_revoked_is_never_shown_again_but_stays_in_the_archive(served: Served) -> None:
    rid = record_id(served, PERSONAL)
    objection = file(served, PERSONAL, served.individual())["data"]["fileObjection"]
    assert objection["filerKind"] == "SUBJECT"
    resolved = resolve(served, objection["id"], "REVOKED")["data"]["resolveObjection"]
    assert resolved["status"] == "REVOKED" and resolved["record"] is None
    assert served.data(ME, None, served.individual())["me"]["records"] == []
    mine = served.data("{ objections { status record { id } } }", None, served.individual())
    assert mine["objections"] == [{"status": "REVOKED", "record": None}]
    archived = served.data("{ objections { record { documentNumber status } } }", None, served.admin())
    assert archived["objections"] == [{"record": {"documentNumber": PERSONAL, "status": "REVOKED"}}]
    again = served.gql(FILE, {"record": rid, "reason": "x", "evidence": "y"}, served.individual())
    assert codes(again) == ["INVALID_STATE"]
    served.clock.on(date(2027, 1, 1))  # never comes back
    assert served.data(ME, None, served.individual())["me"]["records"] == []


def test_upheld_restores_the_record_as_it_was(served: Served) -> None:
    objection = file(served, SERIOUS, served.individual())["data"]["fileObjection"]
    resolved = resolve(served, objection["id"], "UPHELD")["data"]["resolveObjection"]
    assert resolved["status"] == "UPHELD" and resolved["resolution"] == "经核实"
    assert resolved["record"]["status"] == "ACTIVE" and resolved["recordVersion"] is None
    assert public_record(served, SERIOUS)["status"] == "ACTIVE"  # type: ignore[index]
    assert codes(resolve(served, objection["id"], "REVOKED")) == ["INVALID_STATE"]


@pytest.mark.parametrize(
    ("outcome", "extra", "code"),
    [
        ("CORRECTED", {}, "INVALID_INPUT"),  # a correction needs its fields
        ("UPHELD", {"correction": {"content": "x"}}, "INVALID_INPUT"),
        ("CORRECTED", {"correction": {"content": "销售不合格食品，罚款2万元"}}, "INVALID_INPUT"),  # no change
        ("CORRECTED", {"correction": {"decisionDate": "2027-01-01"}}, "INVALID_INPUT"),
        ("CORRECTED", {"correction": {"kept": True}}, "INVALID_INPUT"),  # not a commitment
        ("OPEN", {}, "INVALID_INPUT"),
        ("UPHELD", {"reason": " "}, "INVALID_INPUT"),
    ],
)
def test_a_bad_resolution_is_refused_and_changes_nothing(
    served: Served, outcome: str, extra: dict[str, Any], code: str
) -> None:
    objection = file(served, SERIOUS, served.individual())["data"]["fileObjection"]
    assert codes(resolve(served, objection["id"], outcome, **extra)) == [code]
    still = served.data("{ objections { status } }", None, served.admin())["objections"]
    assert still == [{"status": "OPEN"}]
    assert public_record(served, SERIOUS)["status"] == "UNDER_OBJECTION"  # type: ignore[index]


def test_only_the_subject_its_representative_or_an_agency_for_an_organisation_may_object(
    served: Served,
) -> None:
    assert codes(file(served, SERIOUS, served.individual("li"))) == ["NOT_ENTITLED"]
    assert codes(file(served, PERSONAL, served.partner())) == ["NOT_ENTITLED"]
    assert codes(file(served, PERSONAL, served.provider(MARKET.credit_code))) == ["FORBIDDEN_OPERATION"]
    assert codes(file(served, SERIOUS, {})) == ["FORBIDDEN_OPERATION"]
    body = served.gql(FILE, {"record": "0" * 32, "reason": "x", "evidence": "y"}, served.individual())
    assert codes(body) == ["NOT_FOUND"]
    blank = served.gql(
        FILE, {"record": record_id(served, SERIOUS), "reason": "x", "evidence": ""}, served.individual()
    )
    assert codes(blank) == ["INVALID_INPUT"]
    assert public_record(served, SERIOUS)["status"] == "ACTIVE"  # type: ignore[index]


def test_only_the_issuing_authoritys_provider_resolves(served: Served) -> None:
    objection = file(served, SERIOUS, served.individual())["data"]["fileObjection"]
    variables = {"id": objection["id"], "outcome": "REVOKED", "reason": "x"}
    assert codes(served.gql(RESOLVE, variables, served.provider(OTHER_AUTHORITY))) == ["NOT_ENTITLED"]
    assert codes(served.gql(RESOLVE, variables, served.admin())) == ["FORBIDDEN_OPERATION"]
    assert public_record(served, SERIOUS)["status"] == "UNDER_OBJECTION"  # type: ignore[index]


def test_an_objection_is_overdue_the_day_after_its_tenth_working_day(served: Served) -> None:
    objection = file(served, SERIOUS, served.individual())["data"]["fileObjection"]
    served.clock.on(date(2026, 3, 26))
    for headers in (served.provider(MARKET.credit_code), served.admin()):
        assert served.data(OVERDUE, None, headers)["overdueObjections"] == []
    served.clock.on(date(2026, 3, 27))
    expected = [{"id": objection["id"], "overdue": True, "dueOn": "2026-03-26"}]
    for headers in (served.provider(MARKET.credit_code), served.admin()):
        assert served.data(OVERDUE, None, headers)["overdueObjections"] == expected
    assert served.data(OVERDUE, None, served.provider(OTHER_AUTHORITY))["overdueObjections"] == []
    market_partner = served.partner(MARKET.credit_code, AgencyKind.MARKET_REGULATION)
    assert codes(served.gql(OVERDUE, None, market_partner)) == ["FORBIDDEN_OPERATION"]
    resolve(served, objection["id"], "UPHELD")
    assert served.data(OVERDUE, None, served.admin())["overdueObjections"] == []


def test_a_provider_cannot_resubmit_over_an_open_objection(served: Served) -> None:
    file(served, SERIOUS, served.individual())
    mutation = """
    mutation($records: [RecordSubmission!]!) { submitRecords(records: $records) { rejected { field reason } } }"""
    record = {
        "subjectCreditCode": COMPANY.credit_code, "category": "ADMINISTRATIVE_PENALTY",
        "documentNumber": SERIOUS, "authorityCode": MARKET.credit_code, "decisionDate": "2026-03-02",
        "content": "另一内容", "severity": "SERIOUS",
    }  # fmt: skip
    body = served.data(mutation, {"records": [record]}, served.provider(MARKET.credit_code))
    assert body["submitRecords"]["rejected"] == [
        {"field": "status", "reason": "the record is under_objection; it changes through that procedure"}
    ]

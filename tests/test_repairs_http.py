"""Credit repair through real HTTP: not before the minimum period, approved (gone from public and
query views, kept in the archive) and refused (nothing changes), decided by the issuing authority."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.clock import Clock
from tests.gateway_fixtures import COMPANY, MARKET, build_env
from tests.gql import Served, codes, serve
from tests.helpers import credit_code

SERIOUS = "菏市监罚〔2026〕1号"  # company, serious, decided 2026-03-02: repairable from 2027-03-03
LICENCE = "菏市监许〔2026〕3号"
PERSONAL = "菏市监罚〔2026〕4号"  # Zhang, general: repairable from 2026-06-03

ORG = """
query($code: String!) {
  organization(creditCode: $code) {
    records { id documentNumber status repairableFrom }
    listEntries { records { documentNumber } }
  }
}"""
ME = "{ me { records { id documentNumber status } } }"
APPLY = """
mutation($record: ID!) {
  applyForRepair(input: {recordId: $record, statement: "罚款已缴清，承诺守法经营", evidence: "缴款凭证"}) {
    id status filerKind record { documentNumber status }
  }
}"""
DECIDE = """
mutation($id: ID!, $approve: Boolean!) {
  decideRepair(input: {applicationId: $id, approve: $approve, reason: "材料齐全"}) {
    id status decisionReason record { documentNumber status }
  }
}"""


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[Served]:
    env = build_env(tmp_path, database_url)
    with serve(env, Clock(datetime(2026, 3, 12, 2, 0, tzinfo=UTC))) as s:
        org = s.data(ORG, {"code": COMPANY.credit_code}, s.admin())["organization"]
        me = s.data(ME, None, s.individual())["me"]
        ids = {r["documentNumber"]: r["id"] for r in org["records"] + me["records"]}
        s.env.ids.update(ids)
        yield s


def apply(s: Served, document: str, headers: dict[str, str]) -> dict[str, Any]:
    return s.gql(APPLY, {"record": s.env.ids[document]}, headers)


def decide(s: Served, application: str, approve: bool, org: str = MARKET.credit_code) -> dict[str, Any]:
    return s.gql(DECIDE, {"id": application, "approve": approve}, s.provider(org))


def org_view(s: Served, headers: dict[str, str] | None = None) -> tuple[set[str], set[str]]:
    org = s.data(ORG, {"code": COMPANY.credit_code}, headers)["organization"]
    listed = {r["documentNumber"] for e in org["listEntries"] for r in e["records"]}
    return {r["documentNumber"] for r in org["records"]}, listed


def test_no_application_before_the_minimum_period_has_passed(served: Served) -> None:
    org = served.data(ORG, {"code": COMPANY.credit_code})["organization"]
    assert {r["documentNumber"]: r["repairableFrom"] for r in org["records"]} == {
        SERIOUS: "2027-03-03",
        LICENCE: None,
    }
    served.clock.on(date(2027, 3, 2))
    body = apply(served, SERIOUS, served.individual())
    assert codes(body) == ["REPAIR_TOO_EARLY"]
    assert "2027-03-03" in body["errors"][0]["message"]
    served.clock.on(date(2027, 3, 3))
    application = apply(served, SERIOUS, served.individual())["data"]["applyForRepair"]
    assert application["status"] == "PENDING" and application["filerKind"] == "LEGAL_REPRESENTATIVE"
    assert application["record"] == {"documentNumber": SERIOUS, "status": "ACTIVE"}


def test_an_approved_repair_leaves_public_and_query_views_and_stays_in_the_archive(served: Served) -> None:
    served.clock.on(date(2027, 3, 3))
    application = apply(served, SERIOUS, served.partner())["data"]["applyForRepair"]
    decided = decide(served, application["id"], True)["data"]["decideRepair"]
    assert decided["status"] == "APPROVED" and decided["decisionReason"] == "材料齐全"
    assert decided["record"] is None  # the provider reads at query level: gone
    for headers in (None, served.partner(), served.provider(MARKET.credit_code)):
        assert org_view(served, headers) == ({LICENCE}, set())
    for headers in (served.admin(), served.auditor()):
        records, listed = org_view(served, headers)
        assert SERIOUS in records and listed == {SERIOUS}
    archived = served.data("{ repairApplications { status record { status } } }", None, served.auditor())
    assert archived["repairApplications"] == [{"status": "APPROVED", "record": {"status": "REPAIRED"}}]
    linked = served.data("{ me { linkedRecords { documentNumber } } }", None, served.individual())
    assert linked["me"]["linkedRecords"] == []
    assert codes(decide(served, application["id"], False)) == ["INVALID_STATE"]
    assert codes(apply(served, SERIOUS, served.partner())) == ["INVALID_STATE"]


def test_a_refused_repair_changes_nothing_and_the_subject_may_apply_again(served: Served) -> None:
    served.clock.on(date(2026, 6, 3))
    application = apply(served, PERSONAL, served.individual())["data"]["applyForRepair"]
    assert application["filerKind"] == "SUBJECT"
    assert codes(apply(served, PERSONAL, served.individual())) == ["INVALID_STATE"]  # one pending at a time
    decided = decide(served, application["id"], False)["data"]["decideRepair"]
    assert decided["status"] == "REFUSED"
    assert decided["record"] == {"documentNumber": PERSONAL, "status": "ACTIVE"}
    me = served.data(ME, None, served.individual())["me"]["records"]
    assert [r["documentNumber"] for r in me] == [PERSONAL]
    served.clock.on(date(2026, 6, 4))
    again = apply(served, PERSONAL, served.individual())["data"]["applyForRepair"]
    assert again["status"] == "PENDING"
    approved = decide(served, again["id"], True)["data"]["decideRepair"]
    assert approved["status"] == "APPROVED" and approved["record"] is None
    assert served.data(ME, None, served.individual())["me"]["records"] == []
    mine = served.data("{ repairApplications { status } }", None, served.individual())
    assert mine["repairApplications"] == [{"status": "APPROVED"}, {"status": "REFUSED"}]


def test_what_cannot_be_repaired_and_who_cannot_decide(served: Served) -> None:
    served.clock.on(date(2027, 3, 3))
    assert codes(apply(served, LICENCE, served.individual())) == ["INVALID_STATE"]  # not dishonesty
    assert codes(apply(served, PERSONAL, served.partner())) == ["NOT_ENTITLED"]  # nobody files for a person
    assert codes(apply(served, SERIOUS, served.individual("li"))) == ["NOT_ENTITLED"]
    assert codes(apply(served, SERIOUS, served.admin())) == ["FORBIDDEN_OPERATION"]
    application = apply(served, SERIOUS, served.individual())["data"]["applyForRepair"]
    assert codes(decide(served, application["id"], True, credit_code("113717000000099"))) == ["NOT_ENTITLED"]
    # An objection filed meanwhile is resolved before a repair is approved.
    served.data(
        'mutation($r: ID!) { fileObjection(input: {recordId: $r, reason: "r", evidence: "e"}) { id } }',
        {"r": served.env.ids[SERIOUS]},
        served.individual(),
    )
    assert codes(decide(served, application["id"], True)) == ["INVALID_STATE"]
    assert served.data("{ repairApplications { status } }", None, served.admin())["repairApplications"] == [
        {"status": "PENDING"}
    ]

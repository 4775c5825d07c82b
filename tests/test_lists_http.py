"""Lists with a lifecycle through real HTTP: a provider lists and delists subjects of its own authority
citing the records that justify the entry; an entry whose records all lapsed is flagged and leaves
checks; a listed subject's objection revokes a wrong entry or leaves a right one standing."""

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

SERIOUS = "菏市监罚〔2026〕1号"
LICENCE = "菏市监许〔2026〕3号"
BLACKLIST = "严重违法失信名单"
FOOD_LIST = "食品安全严重违法失信名单"
OTHER_AUTHORITY = credit_code("113717000000099")

ORG = """
query($code: String!) {
  organization(creditCode: $code) {
    records { id documentNumber }
    listEntries { id listName status exitedOn exitReason basisLapsed records { documentNumber } }
  }
}"""
CHECK = """
query($code: String!) {
  creditCheck(subject: {creditCode: $code}, matter: ADMINISTRATIVE_LICENSING) {
    blackListed listEntries { listName } restrictions { code }
  }
}"""
LIST = """
mutation($kind: ListKind!, $name: String!, $records: [ID!]!, $exit: Date) {
  listSubject(input: {kind: $kind, listName: $name, reason: "食品安全严重违法", records: $records,
                      plannedExit: $exit}) {
    id kind listName status listedOn plannedExit basisLapsed records { documentNumber }
  }
}"""
DELIST = """
mutation($id: ID!) {
  delistSubject(input: {entryId: $id, reason: "整改到位，提前移出"}) { id status exitedOn exitReason }
}"""
FILE = """
mutation($id: ID!) {
  fileListObjection(input: {entryId: $id, reason: "认定对象错误", evidence: "营业执照副本"}) {
    id status filerKind dueOn entry { listName status }
  }
}"""
RESOLVE = """
mutation($id: ID!, $outcome: ObjectionStatus!) {
  resolveListObjection(input: {objectionId: $id, outcome: $outcome, reason: "经复核"}) {
    id status resolution entry { listName status exitReason }
  }
}"""
FILE_RECORD_OBJECTION = """
mutation($id: ID!) {
  fileObjection(input: {recordId: $id, reason: "处罚对象错误", evidence: "营业执照"}) { id }
}"""
RESOLVE_RECORD_OBJECTION = """
mutation($id: ID!) {
  resolveObjection(input: {objectionId: $id, outcome: REVOKED, reason: "经核实撤销"}) { status }
}"""


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[Served]:
    env = build_env(tmp_path, database_url)
    with serve(env, Clock(datetime(2026, 3, 12, 2, 0, tzinfo=UTC))) as s:  # Thursday in China
        yield s


def company(s: Served) -> dict[str, Any]:
    return s.data(ORG, {"code": COMPANY.credit_code}, s.admin())["organization"]


def record_id(s: Served, document: str) -> str:
    return next(r["id"] for r in company(s)["records"] if r["documentNumber"] == document)


def entry(s: Served, name: str) -> dict[str, Any]:
    return next(e for e in company(s)["listEntries"] if e["listName"] == name)


def check(s: Served) -> dict[str, Any]:
    return s.data(CHECK, {"code": COMPANY.credit_code}, s.partner())["creditCheck"]


def list_company(s: Served, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    variables = {"kind": "BLACK", "name": FOOD_LIST, "records": [record_id(s, SERIOUS)], **extra}
    return s.gql(LIST, variables, headers)


def test_the_owning_provider_lists_and_delists_and_checks_follow(served: Served) -> None:
    market = served.provider(MARKET.credit_code)
    listed = list_company(served, market)["data"]["listSubject"]
    assert listed["kind"] == "BLACK" and listed["status"] == "LISTED" and listed["basisLapsed"] is False
    assert (listed["listedOn"], listed["plannedExit"]) == ("2026-03-12", "2029-03-12")  # the policy's longest
    assert listed["records"] == [{"documentNumber": SERIOUS}]
    assert {e["listName"] for e in check(served)["listEntries"]} == {BLACKLIST, FOOD_LIST}
    assert codes(list_company(served, market)) == ["INVALID_STATE"]  # already on that list

    assert codes(served.gql(DELIST, {"id": listed["id"]}, served.provider(OTHER_AUTHORITY))) == [
        "NOT_ENTITLED"
    ]
    assert codes(served.gql(DELIST, {"id": listed["id"]}, served.partner())) == ["FORBIDDEN_OPERATION"]
    delisted = served.data(DELIST, {"id": listed["id"]}, market)["delistSubject"]
    assert delisted == {
        "id": listed["id"], "status": "EXITED", "exitedOn": "2026-03-12", "exitReason": "整改到位，提前移出",
    }  # fmt: skip
    assert [e["listName"] for e in check(served)["listEntries"]] == [BLACKLIST]
    assert codes(served.gql(DELIST, {"id": listed["id"]}, market)) == ["INVALID_STATE"]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"kind": "RED"}, "records[0]"),  # a penalty is no basis for a red list
        ({"records": []}, "records"),
        ({"exit": "2030-01-01"}, "plannedExit"),  # beyond the longest listing
        ({"exit": "2026-03-12"}, "plannedExit"),  # not after the listing day
    ],
)
def test_an_entry_without_a_valid_basis_is_refused(served: Served, extra: dict[str, Any], field: str) -> None:
    body = list_company(served, served.provider(MARKET.credit_code), **extra)
    assert codes(body) == ["INVALID_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == field
    licence = {"records": [record_id(served, LICENCE)]}
    assert codes(list_company(served, served.provider(MARKET.credit_code), **licence)) == ["INVALID_INPUT"]
    assert codes(list_company(served, served.provider(MARKET.credit_code), records=["0" * 32])) == [
        "NOT_FOUND"
    ]
    assert [e["listName"] for e in company(served)["listEntries"]] == [BLACKLIST]


def test_an_entry_whose_records_are_all_revoked_is_flagged_and_leaves_checks(served: Served) -> None:
    assert check(served)["blackListed"] is True and entry(served, BLACKLIST)["basisLapsed"] is False
    objection = served.data(FILE_RECORD_OBJECTION, {"id": record_id(served, SERIOUS)}, served.individual())
    served.data(
        RESOLVE_RECORD_OBJECTION,
        {"id": objection["fileObjection"]["id"]},
        served.provider(MARKET.credit_code),
    )
    flagged = entry(served, BLACKLIST)
    assert flagged["status"] == "LISTED" and flagged["basisLapsed"] is True
    assert check(served) == {"blackListed": False, "listEntries": [], "restrictions": []}


def test_a_successful_objection_revokes_the_entry_and_the_subject_gets_its_standing_back(
    served: Served,
) -> None:
    blacklist = entry(served, BLACKLIST)["id"]
    filed = served.data(FILE, {"id": blacklist}, served.individual())["fileListObjection"]  # the legal rep
    assert filed["status"] == "OPEN" and filed["filerKind"] == "LEGAL_REPRESENTATIVE"
    assert filed["dueOn"] == "2026-03-26"  # ten working days, as objections to records
    assert filed["entry"] == {"listName": BLACKLIST, "status": "LISTED"}
    assert codes(served.gql(FILE, {"id": blacklist}, served.partner())) == ["INVALID_STATE"]  # one at a time
    assert check(served)["blackListed"] is True  # listed while the objection is open

    variables = {"id": filed["id"], "outcome": "REVOKED"}
    assert codes(served.gql(RESOLVE, variables, served.provider(OTHER_AUTHORITY))) == ["NOT_ENTITLED"]
    corrected = {"id": filed["id"], "outcome": "CORRECTED"}
    assert codes(served.gql(RESOLVE, corrected, served.provider(MARKET.credit_code))) == ["INVALID_INPUT"]
    resolved = served.data(RESOLVE, variables, served.provider(MARKET.credit_code))["resolveListObjection"]
    assert resolved["status"] == "REVOKED" and resolved["resolution"] == "经复核"
    assert resolved["entry"] == {
        "listName": BLACKLIST, "status": "REVOKED", "exitReason": f"objection {filed['id']}: 经复核",
    }  # fmt: skip
    assert check(served) == {"blackListed": False, "listEntries": [], "restrictions": []}
    assert codes(served.gql(RESOLVE, variables, served.provider(MARKET.credit_code))) == ["INVALID_STATE"]


def test_a_failed_objection_leaves_the_entry_on_the_list(served: Served) -> None:
    filed = served.data(FILE, {"id": entry(served, BLACKLIST)["id"]}, served.partner())["fileListObjection"]
    assert filed["filerKind"] == "AGENCY"
    variables = {"id": filed["id"], "outcome": "UPHELD"}
    resolved = served.data(RESOLVE, variables, served.provider(MARKET.credit_code))["resolveListObjection"]
    assert resolved["status"] == "UPHELD" and resolved["entry"]["status"] == "LISTED"
    after = check(served)
    assert after["blackListed"] is True and after["listEntries"] == [{"listName": BLACKLIST}]
    mine = served.data("{ listObjections { status } }", None, served.partner())["listObjections"]
    assert mine == [{"status": "UPHELD"}]


def test_only_the_listed_subject_or_those_acting_for_it_object(served: Served) -> None:
    blacklist = entry(served, BLACKLIST)["id"]
    assert codes(served.gql(FILE, {"id": blacklist}, served.individual("li"))) == ["NOT_ENTITLED"]
    assert codes(served.gql(FILE, {"id": blacklist}, served.provider(MARKET.credit_code))) == [
        "FORBIDDEN_OPERATION"
    ]
    assert codes(served.gql(FILE, {"id": "0" * 32}, served.individual())) == ["NOT_FOUND"]


def test_a_list_objection_is_overdue_after_its_deadline(served: Served) -> None:
    served.data(FILE, {"id": entry(served, BLACKLIST)["id"]}, served.individual())
    query = "{ listObjections(overdue: true) { dueOn overdue } }"
    market = served.provider(MARKET.credit_code)
    assert served.data(query, None, market)["listObjections"] == []
    served.clock.on(date(2026, 3, 27))
    assert served.data(query, None, market)["listObjections"] == [{"dueOn": "2026-03-26", "overdue": True}]
    assert served.data(query, None, served.provider(OTHER_AUTHORITY))["listObjections"] == []

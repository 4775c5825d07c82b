"""The published lists over real HTTP, for an anonymous caller: organisations' entries, and a dishonest
judgment debtor shown by name and masked identity number; no other entry of a natural person, nor any
whole identity number, ever appears. Filters by list, category, region and date; keyset pages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from gateway.access.masking import mask_id_number
from gateway.domain import (
    AgencyKind,
    Category,
    ListKind,
    ListStatus,
    OrgForm,
    RecordStatus,
    Severity,
    SubjectKind,
)
from gateway.keys.crypto import FieldCipher
from gateway.store import db
from gateway.store.inputs import ListEntryInput, OrganizationInput, PersonInput, SubjectRef
from gateway.store.writer import StoreWriter
from gateway.store.writer import WriteOutcome as Outcome
from gateway.workdays import WorkCalendar
from tests.clock import Clock
from tests.gateway_fixtures import COMPANY, LI, MARKET, RECORDS, ZHANG, GatewayEnv, build_env
from tests.gql import Served, codes, serve
from tests.helpers import credit_code, id_number

COURT = OrganizationInput(
    name="菏泽市牡丹区人民法院",
    credit_code=credit_code("113717020000421"),
    kind=SubjectKind.GOVERNMENT_AGENCY,
    form=OrgForm.AGENCY,
    agency_kind=AgencyKind.COURT,
)
WANG = PersonInput(name="王守财", id_number=id_number(region="371702", seq=51), phone="13700001111")
ZHAO = PersonInput(name="赵不还", id_number=id_number(region="371702", seq=61))
QIAN = PersonInput(name="钱已清", id_number=id_number(region="371702", seq=71))
# Born 2010: the act of the debt below was a minor's (001 (十三), 004 个人 四(三)), never published.
SUN = PersonInput(name="孙少年", id_number=id_number(region="371702", born=date(2010, 5, 1), seq=81))
PUBLISHED = """
query($list: ListKind, $category: Category, $region: String, $from: Date, $to: Date, $first: Int!, $after: String) {
  publishedListEntries(list: $list, category: $category, region: $region, listedFrom: $from, listedTo: $to,
                       first: $first, after: $after) {
    nodes { id kind listName authorityCode listedOn status subjectKind name identifier reason categories }
    pageInfo { endCursor hasNextPage }
  }
}"""


def _debtor(person: PersonInput, number: int, **changes: object) -> Any:
    """A dishonest-judgment-debtor decision of the court against ``person``."""
    return replace(
        RECORDS[3],
        subject=SubjectRef(id_number=person.id_number),
        category=Category.DISHONEST_JUDGMENT_DEBTOR,
        document_number=f"(2026)鲁1702执{number}号",
        authority_code=COURT.credit_code,
        authority_name=COURT.name,
        provider_code=COURT.credit_code,
        content="有履行能力而拒不履行生效法律文书确定义务",
        severity=Severity.SERIOUS,
        procedure=None,
        decision_date=date(2026, 3, 1),
        **changes,
    )


def _entry(person: PersonInput, record: Any, listed_on: date, **changes: object) -> ListEntryInput:
    return ListEntryInput(
        subject=SubjectRef(id_number=person.id_number),
        kind=ListKind.BLACK,
        list_name="失信被执行人名单",
        authority_code=record.authority_code,
        reason=f"{person.name}，住山东省菏泽市牡丹区中华路88号，拒不履行",
        listed_on=listed_on,
        records=(record.key,),
        **changes,  # type: ignore[arg-type]
    )


WANG_DEBT = _debtor(WANG, 101)
ZHAO_DEBT = _debtor(ZHAO, 102, status=RecordStatus.REVOKED)  # the court revoked it
QIAN_DEBT = _debtor(QIAN, 103)
SUN_DEBT = _debtor(SUN, 104, act_date=date(2026, 1, 10))
LI_PENALTY = replace(
    RECORDS[3], subject=SubjectRef(id_number=LI.id_number), document_number="菏市监罚〔2026〕9号"
)
ITEMS = [
    COURT, WANG, ZHAO, QIAN, SUN, WANG_DEBT, ZHAO_DEBT, QIAN_DEBT, SUN_DEBT, LI_PENALTY,
    _entry(WANG, WANG_DEBT, date(2026, 3, 5)),
    _entry(ZHAO, ZHAO_DEBT, date(2026, 3, 6)),
    _entry(QIAN, QIAN_DEBT, date(2026, 3, 7), status=ListStatus.EXITED, exited_on=date(2026, 3, 9)),
    _entry(SUN, SUN_DEBT, date(2026, 3, 10)),  # listed, but on a minor's act: never published
    # A person's black-list entry of another category: never published.
    ListEntryInput(subject=SubjectRef(id_number=LI.id_number), kind=ListKind.BLACK, list_name="严重违法失信名单",
                   authority_code=MARKET.credit_code, reason="食品安全严重违法", listed_on=date(2026, 3, 8),
                   records=(LI_PENALTY.key,)),
]  # fmt: skip
WHOLE_NUMBERS = [p.id_number for p in (WANG, ZHAO, QIAN, SUN, LI, ZHANG)]
HIDDEN_NAMES = [ZHAO.name, QIAN.name, SUN.name, LI.name, ZHANG.name]


@dataclass
class Lists:
    served: Served

    def page(self, **variables: Any) -> dict[str, Any]:
        """One page, asked anonymously; the raw answer must hold no whole identity number and no name
        of a person whose entries are not published."""
        response = self.served.http.post(
            "/graphql", json={"query": PUBLISHED, "variables": {"first": 50, **variables}}
        )
        assert response.status_code == 200, response.text
        text = json.dumps(response.json(), ensure_ascii=False)  # whatever escaping the server chose
        assert not [v for v in WHOLE_NUMBERS + HIDDEN_NAMES if v in text]
        body = response.json()
        assert "errors" not in body, body
        return body["data"]["publishedListEntries"]

    def names(self, **variables: Any) -> list[str]:
        return [n["name"] for n in self.page(**variables)["nodes"]]


@pytest.fixture
def lists(tmp_path: Path, database_url: str) -> Iterator[Lists]:
    env: GatewayEnv = build_env(tmp_path, database_url)
    engine = db.make_engine(database_url)
    written = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
    try:
        with Session(engine) as session, session.begin():
            writer = StoreWriter(
                session, FieldCipher(env.keyring), calendar=WorkCalendar.load(), clock=lambda: written
            )
            results = writer.write(ITEMS)
    finally:
        engine.dispose()
    assert all(r.outcome is not Outcome.REJECTED for r in results), [r.reason for r in results if r.reason]
    with serve(env, Clock(datetime(2026, 3, 20, 2, 0, tzinfo=UTC))) as served:
        yield Lists(served)


def test_a_dishonest_debtor_is_published_by_name_and_masked_number_and_no_other_person(lists: Lists) -> None:
    nodes = lists.page()["nodes"]
    assert WANG.name in json.dumps(nodes, ensure_ascii=False)  # the leak check of ``page`` reads names
    assert [n["name"] for n in nodes] == [COMPANY.name, WANG.name]  # newest listing first
    company, wang = nodes
    assert wang == {
        "id": wang["id"], "kind": "BLACK", "listName": "失信被执行人名单", "authorityCode": COURT.credit_code,
        "listedOn": "2026-03-05", "status": "LISTED", "subjectKind": "PERSON", "name": WANG.name,
        "identifier": mask_id_number(WANG.id_number), "reason": None, "categories": ["DISHONEST_JUDGMENT_DEBTOR"],
    }  # fmt: skip
    assert wang["identifier"].startswith(WANG.id_number[:6]) and wang["identifier"].endswith(
        WANG.id_number[-4:]
    )
    assert company["subjectKind"] == "ORGANIZATION" and company["identifier"] == COMPANY.credit_code
    assert company["reason"] == "食品安全严重违法" and company["categories"] == ["ADMINISTRATIVE_PENALTY"]


def test_the_filters_narrow_by_list_category_region_and_date(lists: Lists) -> None:
    assert lists.names(list="RED") == []
    assert lists.names(list="BLACK") == [COMPANY.name, WANG.name]
    assert lists.names(category="DISHONEST_JUDGMENT_DEBTOR") == [WANG.name]
    # A person's entry is never found through a category the disclosure policy does not name.
    assert lists.names(category="ADMINISTRATIVE_PENALTY") == [COMPANY.name]
    assert lists.names(region="371702") == [WANG.name]  # the court's county
    assert lists.names(region="37") == [COMPANY.name, WANG.name]
    assert lists.names(region="11") == []
    assert lists.names(**{"from": "2026-03-06"}) == [COMPANY.name]
    assert lists.names(**{"from": "2026-03-01", "to": "2026-03-05"}) == [WANG.name]


def test_keyset_pages_walk_the_whole_list_once(lists: Lists) -> None:
    seen: list[str] = []
    after = None
    while True:
        page = lists.page(first=1, after=after)
        seen += [n["name"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [COMPANY.name, WANG.name]


def test_bad_filters_are_refused_with_their_codes(lists: Lists) -> None:
    for variables, field in (({"region": "3717"}, None), ({"region": "37170"}, "region"),
                             ({"from": "2026-03-09", "to": "2026-03-01"}, "listedTo"), ({"first": 0}, "first"),
                             ({"after": "nonsense"}, "after")):  # fmt: skip
        body = lists.served.gql(PUBLISHED, {"first": 50, **variables})
        if field is None:
            assert "errors" not in body
            continue
        assert codes(body) == ["INVALID_INPUT"] and body["errors"][0]["extensions"]["field"] == field


def test_partners_see_the_same_published_form(lists: Lists) -> None:
    court = lists.served.partner(COURT.credit_code, AgencyKind.COURT)
    data = lists.served.data(PUBLISHED, {"first": 50}, court)["publishedListEntries"]
    assert [n["identifier"] for n in data["nodes"]] == [COMPANY.credit_code, mask_id_number(WANG.id_number)]

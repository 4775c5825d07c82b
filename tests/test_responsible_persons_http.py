"""Punishment reaches the responsible people (落实到人), through real HTTP on both databases.

The company of tests/gateway_fixtures.py is on a black list from 2026-03-10. A JSON Lines import names
its legal representative, principal and actual controller; each of them, checked with their consent,
is restricted with the reason, sees it in their own record (``me``) and grade, and loses the
restriction when the entry exits. A principal appointed after the listing is not reached, and a
provider's ``submitRecords`` carries responsible persons too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.access.tokens import Role
from gateway.importing.pipeline import import_file
from gateway.keys.crypto import FieldCipher
from gateway.store import db, reads
from gateway.store.models import ResponsiblePerson
from gateway.workdays import WorkCalendar
from tests.clock import Clock
from tests.gateway_fixtures import BANK_CODE, COMPANY, LI, MARKET, ZHANG, GatewayEnv, build_env
from tests.gql import Served, codes, serve
from tests.helpers import id_number

ZHAO = {"name": "赵实控", "idNumber": id_number(region="371702", born=date(1970, 6, 1), seq=77)}
QIAN = {"name": "钱后任", "idNumber": id_number(region="371702", born=date(1990, 1, 9), seq=88)}
SUN = {"name": "孙提交", "idNumber": id_number(region="371702", born=date(1982, 2, 3), seq=99)}
LISTED = {
    "type": "listEntry",
    "subject": {"creditCode": COMPANY.credit_code},
    "kind": "BLACK",
    "listName": "严重违法失信名单",
    "authorityCode": MARKET.credit_code,
    "reason": "食品安全严重违法",
    "listedOn": "2026-03-10",
}
ORGANIZATION_LINE = {
    "type": "organization",
    "name": COMPANY.name,
    "creditCode": COMPANY.credit_code,
    "registeredAddress": COMPANY.registered_address,
    "legalRepresentative": {"name": ZHANG.name, "idNumber": ZHANG.id_number},
    "responsiblePersons": [
        {
            "role": "LEGAL_REPRESENTATIVE",
            "name": ZHANG.name,
            "idNumber": ZHANG.id_number,
            "since": "2020-01-01",
        },
        {"role": "PRINCIPAL", "name": LI.name, "idNumber": LI.id_number, "since": "2024-05-01"},
        {"role": "ACTUAL_CONTROLLER", **ZHAO, "since": "2019-07-01"},
        # Appointed after the listing: the listing is not theirs.
        {"role": "PRINCIPAL", **QIAN, "since": "2026-03-11"},
    ],
}
CHECK = """
query($subject: CheckSubject!, $consent: String) {
  creditCheck(subject: $subject, matter: ADMINISTRATIVE_LICENSING, purpose: ADMINISTRATIVE_LICENSING,
              consent: $consent) {
    blackListed
    restrictions { code reasons listEntries { listName } }
    facilitation { code }
    responsibilities { role organizationCode roleSince basis reason listEntry { listName } record { documentNumber } }
  }
}"""
GRANT = """
mutation($bank: String!) {
  grantConsent(input: {grantee: $bank, purpose: ADMINISTRATIVE_LICENSING, scopes: [RECORDS, LISTS], maxUses: 9}) {
    token
  }
}"""
ME = """
{ me { responsibilities { role basis reason restrictions { matter code } listEntry { listName } } } }"""
MINE = "{ myCreditEvaluation { grade cappedBy contributions { points rule } } }"
SUBMIT = """
mutation($records: [RecordSubmission!]!) {
  submitRecords(records: $records) { created updated unchanged rejected { index field reason } }
}"""
ROLES = {
    "zhang": ("LEGAL_REPRESENTATIVE", "legal representative (法定代表人)"),
    "li": ("PRINCIPAL", "principal responsible person (主要负责人)"),
    "zhao": ("ACTUAL_CONTROLLER", "actual controller (实际控制人)"),
}


def reason(label: str) -> str:
    return f"{label} of {COMPANY.credit_code}, black list entry 严重违法失信名单 ({MARKET.credit_code}), since 2026-03-10"


@dataclass
class World:
    served: Served
    env: GatewayEnv
    tmp: Path

    def import_lines(self, *lines: dict[str, Any]) -> None:
        path = self.tmp / f"lines-{len(list(self.tmp.glob('lines-*')))}.jsonl"
        path.write_text(
            "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n", encoding="utf-8"
        )
        engine = db.make_engine(self.env.settings.database_url)
        try:
            report = import_file(
                path,
                engine=engine,
                cipher=FieldCipher(self.env.keyring),
                calendar=WorkCalendar.load(),
                clock=self.served.clock,
            )
        finally:
            engine.dispose()
        assert not report.rejections, report.sorted_rejections()

    def person_id(self, number: str) -> str:
        engine = db.make_engine(self.env.settings.database_url)
        try:
            with Session(engine) as session:
                found = reads.find_person_id(session, FieldCipher(self.env.keyring), number)
        finally:
            engine.dispose()
        assert found is not None
        return found

    def as_person(self, who: str) -> dict[str, str]:
        return self.env.headers(Role.INDIVIDUAL, person_id=self.env.ids[who])

    def check(self, who: str, number: str) -> dict[str, Any]:
        token = self.served.data(GRANT, {"bank": BANK_CODE}, self.as_person(who))["grantConsent"]["token"]
        variables = {"subject": {"idNumber": number}, "consent": token}
        return self.served.data(CHECK, variables, self.served.partner())["creditCheck"]


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[World]:
    env = build_env(tmp_path, database_url)
    with serve(env, Clock(datetime(2026, 3, 12, 2, 0, tzinfo=UTC))) as served:
        w = World(served, env, tmp_path)
        w.import_lines(ORGANIZATION_LINE)
        env.ids.update(zhao=w.person_id(ZHAO["idNumber"]), qian=w.person_id(QIAN["idNumber"]))
        yield w


PEOPLE = {"zhang": ZHANG.id_number, "li": LI.id_number, "zhao": ZHAO["idNumber"]}


@pytest.mark.parametrize("who", ["zhang", "li", "zhao"])
def test_each_responsible_person_of_a_black_listed_company_is_restricted_with_the_reason(
    world: World, who: str
) -> None:
    role, label = ROLES[who]
    check = world.check(who, PEOPLE[who])
    assert check["blackListed"] is True and check["facilitation"] == []
    assert check["restrictions"] == [
        {
            "code": "STRICT_REVIEW",
            "reasons": [reason(label)],
            "listEntries": [{"listName": "严重违法失信名单"}],
        }
    ]
    (listed,) = [r for r in check["responsibilities"] if r["basis"] == "BLACK_LIST"]
    assert listed["role"] == role and listed["organizationCode"] == COMPANY.credit_code
    assert listed["reason"] == reason(label) and listed["listEntry"] == {"listName": "严重违法失信名单"}


@pytest.mark.parametrize("who", ["zhang", "li", "zhao"])
def test_the_person_sees_the_same_in_their_own_record_and_grade(world: World, who: str) -> None:
    role, label = ROLES[who]
    mine = world.served.data(ME, None, world.as_person(who))["me"]["responsibilities"]
    (listed,) = [r for r in mine if r["basis"] == "BLACK_LIST"]
    assert (listed["role"], listed["reason"]) == (role, reason(label))
    assert {"matter": "ADMINISTRATIVE_LICENSING", "code": "STRICT_REVIEW"} in listed["restrictions"]
    assert {r["matter"] for r in listed["restrictions"]} == {
        "ADMINISTRATIVE_LICENSING", "PUBLIC_PROCUREMENT", "FINANCIAL_SUPPORT", "COMMENDATION", "PUBLIC_SERVICE"
    }  # fmt: skip
    grade = world.served.data(MINE, None, world.as_person(who))["myCreditEvaluation"]
    assert grade["grade"] == "D"
    assert {"points": -40, "rule": f"black list entry in force, as {reason(label)}: -40"} in grade[
        "contributions"
    ]


def test_the_restriction_goes_when_the_entry_exits(world: World) -> None:
    world.import_lines({**LISTED, "status": "EXITED", "exitedOn": "2026-03-11"})
    for who in ("zhang", "li", "zhao"):
        check = world.check(who, PEOPLE[who])
        assert (check["blackListed"], check["restrictions"]) == (False, []), who
        assert all(r["basis"] == "SERIOUS_DISHONESTY" for r in check["responsibilities"]), who
        mine = world.served.data(ME, None, world.as_person(who))["me"]["responsibilities"]
        assert all(r["basis"] == "SERIOUS_DISHONESTY" and r["restrictions"] == [] for r in mine), who
        grade = world.served.data(MINE, None, world.as_person(who))["myCreditEvaluation"]
        assert grade["cappedBy"] is None and not any(
            "black list" in c["rule"] for c in grade["contributions"]
        )


def test_the_companys_serious_dishonesty_reaches_the_principal_and_the_controller_too(world: World) -> None:
    for who in ("li", "zhao"):
        (serious,) = [r for r in world.check(who, PEOPLE[who])["responsibilities"] if r["record"]]
        assert serious["basis"] == "SERIOUS_DISHONESTY"
        assert serious["record"] == {"documentNumber": "菏市监罚〔2026〕1号"}
        assert serious["reason"] == (
            f"{ROLES[who][1]} of {COMPANY.credit_code}, serious dishonesty 菏市监罚〔2026〕1号 "
            f"({MARKET.credit_code}), since 2026-03-02"
        )


def test_a_principal_appointed_after_the_listing_is_not_reached(world: World) -> None:
    check = world.check("qian", QIAN["idNumber"])
    assert (check["blackListed"], check["restrictions"], check["responsibilities"]) == (False, [], [])
    assert [f["code"] for f in check["facilitation"]] == ["GREEN_CHANNEL", "ACCEPT_WITH_MISSING_DOCUMENTS"]


def test_a_check_of_a_responsible_person_still_needs_their_consent(world: World) -> None:
    variables = {"subject": {"idNumber": LI.id_number}}
    assert codes(world.served.gql(CHECK, variables, world.served.partner())) == ["PERSON_UNAVAILABLE"]
    # The public sees a legal representative's masked name and nothing of what reaches them.
    body = world.served.gql(
        "query($c: String!) { organization(creditCode: $c) { legalRepresentative { name responsibilities { reason } } } }",
        {"c": COMPANY.credit_code},
    )
    assert codes(body) == ["FORBIDDEN_FIELD"]
    assert body["data"]["organization"]["legalRepresentative"] == {"name": "张*丰", "responsibilities": None}


def test_an_import_keeps_each_holding_once_and_a_new_legal_representative_ends_the_last(world: World) -> None:
    world.import_lines(ORGANIZATION_LINE)  # again: nothing changes
    zhao = {"name": ZHAO["name"], "idNumber": ZHAO["idNumber"]}
    world.import_lines({**ORGANIZATION_LINE, "legalRepresentative": zhao, "responsiblePersons": []})
    engine = db.make_engine(world.env.settings.database_url)
    try:
        with Session(engine) as session:
            rows = session.scalars(select(ResponsiblePerson)).all()
            held = [(r.person_id, r.role.value, r.since, r.until) for r in rows]
    finally:
        engine.dispose()
    ids = world.env.ids
    assert set(held) == {
        (ids["zhang"], "LEGAL_REPRESENTATIVE", date(2020, 1, 1), date(2026, 3, 12)),  # ended on the change
        (ids["li"], "PRINCIPAL", date(2024, 5, 1), None),
        (ids["zhao"], "ACTUAL_CONTROLLER", date(2019, 7, 1), None),
        (ids["qian"], "PRINCIPAL", date(2026, 3, 11), None),
        (ids["zhao"], "LEGAL_REPRESENTATIVE", None, None),
    }
    assert len(held) == 5
    # Held on the day of the listing: Zhang is still reached after the change.
    assert world.check("zhang", ZHANG.id_number)["blackListed"] is True


def test_submit_records_carries_responsible_persons(world: World) -> None:
    record = {
        "subjectCreditCode": COMPANY.credit_code,
        "category": "ADMINISTRATIVE_PENALTY",
        "documentNumber": "菏市监罚〔2026〕9号",
        "authorityCode": MARKET.credit_code,
        "decisionDate": "2026-03-11",
        "content": "未按规定公示年度报告",
        "severity": "GENERAL",
        "responsiblePersons": [{"role": "ACTUAL_CONTROLLER", **SUN, "since": "2018-01-01"}],
    }
    provider = world.served.provider(MARKET.credit_code)
    result = world.served.data(SUBMIT, {"records": [record]}, provider)["submitRecords"]
    assert (result["created"], result["rejected"]) == (1, [])
    world.env.ids["sun"] = world.person_id(SUN["idNumber"])
    check = world.check("sun", SUN["idNumber"])
    assert check["blackListed"] is True
    assert check["restrictions"][0]["reasons"] == [reason("actual controller (实际控制人)")]
    again = world.served.data(SUBMIT, {"records": [record]}, provider)["submitRecords"]
    assert (again["unchanged"], again["updated"]) == (1, 0)
    # A record about a person has no responsible persons; a bad role or date is refused by field.
    person = {**record, "subjectCreditCode": None, "subjectIdNumber": LI.id_number, "documentNumber": "x1"}
    bad_date = {
        **record,
        "documentNumber": "x2",
        "responsiblePersons": [{"role": "PRINCIPAL", **SUN, "since": "2026-02-30"}],
    }
    refused = world.served.data(SUBMIT, {"records": [person, bad_date]}, provider)["submitRecords"]
    assert [(r["index"], r["field"]) for r in refused["rejected"]] == [
        (0, "responsiblePersons"),
        (1, "responsiblePersons[0].since"),
    ]

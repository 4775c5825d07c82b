"""creditCheck through real HTTP: a black-listed company is restricted with the records that justify it,
a repair lifts that, and a person is checked only with a consent opening records and lists."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.clock import Clock
from tests.gateway_fixtures import BANK_CODE, COMPANY, MARKET, ZHANG, build_env
from tests.gql import Served, codes, serve

CHECK = """
query($subject: CheckSubject!, $matter: CheckMatter!, $purpose: ConsentPurpose, $consent: String) {
  creditCheck(subject: $subject, matter: $matter, purpose: $purpose, consent: $consent) {
    matter checkedOn blackListed redListed threeYearsClean cleanFrom
    listEntries { kind listName }
    dishonestyRecords { documentNumber }
    restrictions { code source listEntries { listName } records { documentNumber } }
    facilitation { code listEntries { listName } }
  }
}"""
GRANT = """
mutation($grantee: String!, $scopes: [ConsentScope!]!) {
  grantConsent(input: {grantee: $grantee, purpose: ADMINISTRATIVE_LICENSING, scopes: $scopes, maxUses: 3}) {
    token consent { id }
  }
}"""
SERIOUS = "菏市监罚〔2026〕1号"


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[Served]:
    env = build_env(tmp_path, database_url)
    with serve(env, Clock(datetime(2026, 3, 12, 2, 0, tzinfo=UTC))) as s:
        yield s


def company_check(s: Served, matter: str = "ADMINISTRATIVE_LICENSING") -> dict[str, Any]:
    return s.data(CHECK, {"subject": {"creditCode": COMPANY.credit_code}, "matter": matter}, s.partner())[
        "creditCheck"
    ]


def test_a_black_listed_company_is_restricted_and_the_justifying_record_is_cited(served: Served) -> None:
    check = company_check(served)
    assert (check["blackListed"], check["redListed"], check["threeYearsClean"]) == (True, False, False)
    assert check["checkedOn"] == "2026-03-12" and check["cleanFrom"] == "2029-03-03"
    assert check["restrictions"] == [
        {
            "code": "STRICT_REVIEW",
            "source": "001 (十七), 004 六(二): 在行政许可等方面依法依规采取限制措施",
            "listEntries": [{"listName": "严重违法失信名单"}],
            "records": [{"documentNumber": SERIOUS}],
        }
    ]
    assert check["facilitation"] == []
    # The minor simple-procedure penalty counts while in its three months, then not.
    assert {r["documentNumber"] for r in check["dishonestyRecords"]} == {SERIOUS, "菏市监罚〔2026〕2号"}
    commendation = company_check(served, "COMMENDATION")
    assert [r["code"] for r in commendation["restrictions"]] == ["VETO"]


def test_a_repaired_justification_lifts_the_restriction_and_opens_the_green_channel(served: Served) -> None:
    served.clock.on(date(2027, 3, 3))
    admin = served.data(
        "query($c: String!) { organization(creditCode: $c) { records { id documentNumber } } }",
        {"c": COMPANY.credit_code},
        served.admin(),
    )
    record = next(r["id"] for r in admin["organization"]["records"] if r["documentNumber"] == SERIOUS)
    applied = served.data(
        'mutation($r: ID!) { applyForRepair(input: {recordId: $r, statement: "已整改", evidence: "凭证"}) { id } }',
        {"r": record},
        served.individual(),
    )
    assert company_check(served)["blackListed"] is True  # pending: nothing changes yet
    served.data(
        'mutation($a: ID!) { decideRepair(input: {applicationId: $a, approve: true, reason: "同意"}) { status } }',
        {"a": applied["applyForRepair"]["id"]},
        served.provider(MARKET.credit_code),
    )
    check = company_check(served)
    assert (check["blackListed"], check["threeYearsClean"], check["restrictions"]) == (False, True, [])
    assert [f["code"] for f in check["facilitation"]] == ["GREEN_CHANNEL", "ACCEPT_WITH_MISSING_DOCUMENTS"]
    assert check["dishonestyRecords"] == [] and check["listEntries"] == []


def test_a_person_is_checked_only_with_a_consent_opening_records_and_lists(served: Served) -> None:
    person = {"subject": {"idNumber": ZHANG.id_number}, "matter": "ADMINISTRATIVE_LICENSING"}
    licensing = {**person, "purpose": "ADMINISTRATIVE_LICENSING"}
    assert codes(served.gql(CHECK, licensing, served.partner())) == ["PERSON_UNAVAILABLE"]
    assert codes(served.gql(CHECK, person, served.partner())) == ["INVALID_INPUT"]  # no purpose stated
    narrow = served.data(GRANT, {"grantee": BANK_CODE, "scopes": ["IDENTITY"]}, served.individual())[
        "grantConsent"
    ]["token"]
    body = served.gql(CHECK, {**licensing, "consent": narrow}, served.partner())
    assert codes(body) == ["CONSENT_SCOPE_MISSING"]
    wide = served.data(GRANT, {"grantee": BANK_CODE, "scopes": ["RECORDS", "LISTS"]}, served.individual())[
        "grantConsent"
    ]["token"]
    employment = {**person, "purpose": "EMPLOYMENT", "consent": wide}
    assert codes(served.gql(CHECK, employment, served.partner())) == ["CONSENT_PURPOSE_MISMATCH"]
    check = served.data(CHECK, {**licensing, "consent": wide}, served.partner())["creditCheck"]
    # The company's black listing reaches him as its legal representative (落实到人).
    assert (check["blackListed"], check["threeYearsClean"]) == (True, False)
    # His own general penalty, and the company's serious one reaching him as legal representative.
    assert {r["documentNumber"] for r in check["dishonestyRecords"]} == {"菏市监罚〔2026〕4号", SERIOUS}
    assert check["facilitation"] == [] and [r["code"] for r in check["restrictions"]] == ["STRICT_REVIEW"]


@pytest.mark.parametrize(
    ("variables", "who", "code"),
    [
        ({"subject": {"creditCode": COMPANY.credit_code}, "matter": "PUBLIC_SERVICE"}, "public", "FORBIDDEN_OPERATION"),
        ({"subject": {"creditCode": COMPANY.credit_code}, "matter": "PUBLIC_SERVICE"}, "individual", "FORBIDDEN_OPERATION"),
        ({"subject": {"creditCode": COMPANY.credit_code}, "matter": "PUBLIC_SERVICE"}, "provider", "FORBIDDEN_OPERATION"),
        ({"subject": {"creditCode": "91370000MA3C8XXXXX"}, "matter": "PUBLIC_SERVICE"}, "partner", "INVALID_INPUT"),
        ({"subject": {"creditCode": BANK_CODE}, "matter": "PUBLIC_SERVICE"}, "partner", "NOT_FOUND"),
        ({"subject": {}, "matter": "PUBLIC_SERVICE"}, "partner", "INVALID_INPUT"),
        ({"subject": {"creditCode": COMPANY.credit_code, "idNumber": ZHANG.id_number}, "matter": "PUBLIC_SERVICE"},
         "partner", "INVALID_INPUT"),
    ],
)  # fmt: skip
def test_refusals_have_stable_codes(served: Served, variables: dict[str, Any], who: str, code: str) -> None:
    headers = {
        "public": {},
        "individual": served.individual(),
        "provider": served.provider(MARKET.credit_code),
        "partner": served.partner(),
    }[who]
    assert codes(served.gql(CHECK, variables, headers)) == [code]

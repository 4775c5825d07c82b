"""Lawful access without consent, over real HTTP: a court under a legal basis reads and checks a person,
the audit event keeps the basis, the person sees the lookup (an investigation only after its delay), the
auditor counts lookups per basis and agency; without a basis, with a malformed one, or by a bank, the
lookup is refused exactly as for a person who does not exist."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gateway.audit.heads import audit_public_keys
from gateway.audit.models import AuditEvent
from gateway.audit.verify import verify_log
from gateway.domain import AgencyKind
from gateway.store import db
from tests.clock import Clock
from tests.gateway_fixtures import BANK_CODE, ZHANG, GatewayEnv, build_env
from tests.gql import Served, codes, serve
from tests.helpers import credit_code, id_number

COURT_CODE = credit_code("113717020000421")
POLICE_CODE = credit_code("113717020000532")
NOBODY = id_number(seq=999)
ENFORCEMENT = {
    "law": "中华人民共和国民事诉讼法",
    "article": "第二百五十五条",
    "reference": "(2026)鲁1702执123号",
    "purpose": "ENFORCEMENT",
}
INVESTIGATION = {
    "law": "中华人民共和国刑事诉讼法",
    "article": "第五十四条",
    "reference": "菏公(刑)立字〔2026〕88号",
    "purpose": "INVESTIGATION",
}
PERSON = """
query($id: String!, $basis: LegalBasisInput, $consent: String, $purpose: ConsentPurpose) {
  person(idNumber: $id, legalBasis: $basis, consent: $consent, purpose: $purpose) {
    name idNumber records { documentNumber } listEntries { id }
  }
}"""
CHECK = """
query($id: String!, $basis: LegalBasisInput) {
  creditCheck(subject: {idNumber: $id}, matter: PUBLIC_SERVICE, legalBasis: $basis) {
    blackListed dishonestyRecords { documentNumber }
  }
}"""
HISTORY = """
query { me { queryHistory(first: 50) {
  entries { seq agencyKind organization purpose consentId legalBases { law article reference }
            noticeDelayedUntil fieldGroups }
  summary { lastTwoYears byPurpose { purpose lastTwoYears } }
} } }"""
ANOMALIES = "query { auditAnomalies { kind organization count threshold seqs detail } }"


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> GatewayEnv:
    return build_env(tmp_path, database_url)


@pytest.fixture
def served(env: GatewayEnv) -> Iterator[Served]:
    # The audit log stamps events with the real time; the gateway's clock starts there too.
    with serve(env, Clock(datetime.now(UTC))) as s:
        yield s


def court(s: Served) -> dict[str, str]:
    return s.partner(COURT_CODE, AgencyKind.COURT)


def police(s: Served) -> dict[str, str]:
    return s.partner(POLICE_CODE, AgencyKind.PUBLIC_SECURITY)


def events(env: GatewayEnv) -> list[dict[str, Any]]:
    engine = db.make_engine(env.settings.database_url)
    try:
        with engine.connect() as conn:
            return [
                json.loads(bytes(b)) for b in conn.scalars(select(AuditEvent.body).order_by(AuditEvent.seq))
            ]
    finally:
        engine.dispose()


def only_error(body: dict[str, Any]) -> dict[str, Any]:
    """The one error of a refused lookup, as the caller sees it."""
    assert body["data"] is None, body
    [error] = body["errors"]
    return error


def test_a_court_under_a_legal_basis_reads_a_person_without_consent(served: Served) -> None:
    data = served.data(PERSON, {"id": ZHANG.id_number, "basis": ENFORCEMENT}, court(served))
    person = data["person"]
    assert (person["name"], person["idNumber"]) == (ZHANG.name, ZHANG.id_number)
    assert person["records"] == [{"documentNumber": "菏市监罚〔2026〕4号"}]
    # Contact details are not among the scopes a lawful lookup opens (policies/lawful-access.toml).
    phone = served.gql(
        "query($id: String!, $b: LegalBasisInput) { person(idNumber: $id, legalBasis: $b) { phone } }",
        {"id": ZHANG.id_number, "b": ENFORCEMENT},
        court(served),
    )
    assert codes(phone) == ["FORBIDDEN_FIELD"]


def test_the_event_keeps_the_basis_and_the_log_still_verifies(served: Served) -> None:
    served.data(PERSON, {"id": ZHANG.id_number, "basis": ENFORCEMENT}, court(served))
    [event] = [e for e in events(served.env) if e.get("legal_bases")]
    assert event["legal_bases"] == ["中华人民共和国民事诉讼法|第二百五十五条|(2026)鲁1702执123号"]
    assert event["purpose"] == "ENFORCEMENT" and event["consent_id"] is None
    assert event["subjects"] == [served.env.ids["zhang"]] and event["outcome"] == "ANSWERED"
    assert "notice_after" not in event  # enforcement is shown at once
    engine = db.make_engine(served.env.settings.database_url)
    try:
        with engine.connect() as conn:
            assert verify_log(conn, audit_public_keys(served.env.keyring)).ok
    finally:
        engine.dispose()


def test_the_person_sees_the_court_lookup_with_its_basis(served: Served) -> None:
    served.data(PERSON, {"id": ZHANG.id_number, "basis": ENFORCEMENT}, court(served))
    history = served.data(HISTORY, headers=served.individual("zhang"))["me"]["queryHistory"]
    [entry] = history["entries"]
    assert entry["agencyKind"] == "COURT" and entry["organization"] == COURT_CODE
    assert entry["purpose"] == "ENFORCEMENT" and entry["consentId"] is None
    assert entry["legalBases"] == [{k: ENFORCEMENT[k] for k in ("law", "article", "reference")}]
    assert entry["noticeDelayedUntil"] is None
    assert {"IDENTITY", "RECORDS"} <= set(entry["fieldGroups"])


def test_an_investigation_shows_in_the_history_only_after_its_delay(served: Served) -> None:
    started = served.clock.now
    served.data(PERSON, {"id": ZHANG.id_number, "basis": INVESTIGATION}, police(served))
    [event] = [e for e in events(served.env) if e.get("legal_bases")]
    delayed_until = datetime.fromisoformat(event["notice_after"][0].replace("Z", "+00:00"))
    assert delayed_until == started + timedelta(days=90)  # policies/lawful-access.toml

    served.clock.now = started + timedelta(days=89)
    history = served.data(HISTORY, headers=served.individual("zhang"))["me"]["queryHistory"]
    assert history["entries"] == [] and history["summary"]["lastTwoYears"] == 0

    served.clock.now = started + timedelta(days=90, seconds=1)
    history = served.data(HISTORY, headers=served.individual("zhang"))["me"]["queryHistory"]
    [entry] = history["entries"]
    assert entry["purpose"] == "INVESTIGATION" and entry["agencyKind"] == "PUBLIC_SECURITY"
    assert datetime.fromisoformat(entry["noticeDelayedUntil"]) == delayed_until
    assert entry["legalBases"][0]["reference"] == INVESTIGATION["reference"]
    assert history["summary"]["byPurpose"] == [{"purpose": "INVESTIGATION", "lastTwoYears": 1}]


@pytest.mark.parametrize(
    ("who", "variables"),
    [
        ("court", {}),  # no basis, no consent
        ("bank", {"basis": ENFORCEMENT}),  # a bank is not among the policy's agencies
        ("court", {"basis": INVESTIGATION}),  # a purpose the policy does not allow to courts
        ("court", {"purpose": "FINANCIAL_SERVICE"}),  # a consented purpose without the consent
    ],
)
def test_a_lookup_the_rule_refuses_answers_as_for_an_unknown_person(
    served: Served, who: str, variables: dict[str, Any]
) -> None:
    headers = court(served) if who == "court" else served.partner(BANK_CODE, AgencyKind.FINANCE)
    known = only_error(served.gql(PERSON, {"id": ZHANG.id_number, **variables}, headers))
    unknown = only_error(served.gql(PERSON, {"id": NOBODY, **variables}, headers))
    assert known["extensions"]["code"] == "PERSON_UNAVAILABLE"
    assert known == unknown
    assert served.data(HISTORY, headers=served.individual("zhang"))["me"]["queryHistory"]["entries"] == []


@pytest.mark.parametrize(
    ("part", "value"),
    [
        ("law", " "),
        ("law", "法" * 61),
        ("article", "255"),
        ("article", "第二百五十五条|x"),
        ("reference", "123"),
        ("reference", "(2026)鲁1702执123"),  # no 号
        ("reference", "鲁1702执123号"),  # no year in brackets
        ("reference", "(2026)鲁1702执\n123号"),
    ],
)
def test_a_malformed_basis_is_refused_with_its_code_whoever_it_names(
    served: Served, part: str, value: str
) -> None:
    basis = {**ENFORCEMENT, part: value}
    known = only_error(served.gql(PERSON, {"id": ZHANG.id_number, "basis": basis}, court(served)))
    unknown = only_error(served.gql(PERSON, {"id": NOBODY, "basis": basis}, court(served)))
    assert known["extensions"]["code"] == "LEGAL_BASIS_INVALID"
    assert known["extensions"]["field"] == f"legalBasis.{part}"
    assert known == unknown


def test_a_basis_with_a_consent_or_a_consented_purpose_is_refused(served: Served) -> None:
    both = served.gql(
        PERSON, {"id": ZHANG.id_number, "basis": ENFORCEMENT, "consent": "x.y.z"}, court(served)
    )
    assert codes(both) == ["INVALID_INPUT"] and both["errors"][0]["extensions"]["field"] == "legalBasis"
    purpose = {"id": ZHANG.id_number, "basis": ENFORCEMENT, "purpose": "EMPLOYMENT"}
    assert codes(served.gql(PERSON, purpose, court(served))) == ["INVALID_INPUT"]


def test_a_court_checks_a_person_under_a_basis_and_a_bank_cannot(served: Served) -> None:
    check = served.data(CHECK, {"id": ZHANG.id_number, "basis": ENFORCEMENT}, court(served))["creditCheck"]
    assert "菏市监罚〔2026〕4号" in {r["documentNumber"] for r in check["dishonestyRecords"]}
    bank = served.gql(CHECK, {"id": ZHANG.id_number, "basis": ENFORCEMENT}, served.partner())
    unknown = served.gql(CHECK, {"id": NOBODY, "basis": ENFORCEMENT}, served.partner())
    assert codes(bank) == ["PERSON_UNAVAILABLE"] and only_error(bank) == only_error(unknown)


def test_the_auditor_counts_lookups_per_legal_basis_and_agency(served: Served) -> None:
    other_case = {**ENFORCEMENT, "reference": "(2026)鲁1702执456号"}
    for basis in (ENFORCEMENT, ENFORCEMENT, other_case):
        served.data(PERSON, {"id": ZHANG.id_number, "basis": basis}, court(served))
    served.gql(PERSON, {"id": ZHANG.id_number, "basis": ENFORCEMENT}, served.partner())  # refused
    served.data(PERSON, {"id": ZHANG.id_number, "basis": INVESTIGATION}, police(served))
    flags = [f for f in served.data(ANOMALIES, headers=served.auditor())["auditAnomalies"]
             if f["kind"] == "LAWFUL_ACCESS"]  # fmt: skip
    counted = {
        (f["organization"], f["detail"].split(" under ")[1].rsplit(" (", 1)[0]): f["count"] for f in flags
    }
    assert counted == {
        (COURT_CODE, "中华人民共和国民事诉讼法 第二百五十五条 (2026)鲁1702执123号"): 2,
        (COURT_CODE, "中华人民共和国民事诉讼法 第二百五十五条 (2026)鲁1702执456号"): 1,
        (BANK_CODE, "中华人民共和国民事诉讼法 第二百五十五条 (2026)鲁1702执123号"): 1,
        (POLICE_CODE, "中华人民共和国刑事诉讼法 第五十四条 菏公(刑)立字〔2026〕88号"): 1,
    }
    [bank] = [f for f in flags if f["organization"] == BANK_CODE]
    assert "(1 refused)" in bank["detail"] and len(bank["seqs"]) == 1

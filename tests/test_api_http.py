"""The gateway as partners and individuals meet it: GraphQL over real HTTP through uvicorn."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.access.tokens import Role
from gateway.domain import AgencyKind
from tests.clock import Clock, app_with_clock
from tests.gateway_fixtures import BANK_CODE, COMPANY, LI, MARKET, ZHANG, GatewayEnv, build_env
from tests.server import running

ORG_QUERY = """
query($code: String!) {
  organization(creditCode: $code) {
    name creditCode
    legalRepresentative { name idNumber phone }
    records { documentNumber category procedure content }
    listEntries { kind listName records { documentNumber } }
  }
}"""
PERSON_QUERY = """
query($id: String!, $consent: String, $purpose: ConsentPurpose!) {
  person(idNumber: $id, consent: $consent, purpose: $purpose) {
    name idNumber phone address healthStatus records { documentNumber }
  }
}"""
GRANT = """
mutation($grantee: String!, $scopes: [ConsentScope!]!, $uses: Int!) {
  grantConsent(input: {grantee: $grantee, purpose: FINANCIAL_SERVICE, scopes: $scopes, maxUses: $uses}) {
    token consent { id status uses maxUses }
  }
}"""

JSON_BODY = {"Content-Type": "application/json"}


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> GatewayEnv:
    return build_env(tmp_path, database_url)


@pytest.fixture
def client(env: GatewayEnv) -> Iterator[httpx.Client]:
    # A fixed clock: the fixture's records have display periods, and the real date moves on.
    app = app_with_clock(env.settings, Clock(datetime(2026, 3, 12, 9, 0, tzinfo=UTC)))
    with running(app) as base, httpx.Client(base_url=base, timeout=10) as http:
        yield http


def gql(
    client: httpx.Client,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    response = client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {}
    )
    assert response.status_code == 200, response.text
    return response.json()


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


def partner(env: GatewayEnv, kind: AgencyKind = AgencyKind.FINANCE, org: str = BANK_CODE) -> dict[str, str]:
    return env.headers(Role.PARTNER, org_code=org, agency_kind=kind)


def individual(env: GatewayEnv, who: str = "zhang") -> dict[str, str]:
    return env.headers(Role.INDIVIDUAL, person_id=env.ids[who])


def grant(client: httpx.Client, env: GatewayEnv, scopes: list[str], uses: int = 5) -> str:
    body = gql(client, GRANT, {"grantee": BANK_CODE, "scopes": scopes, "uses": uses}, individual(env))
    assert "errors" not in body, body
    return body["data"]["grantConsent"]["token"]


def test_public_sees_publishable_records_and_masked_legal_representative(client: httpx.Client) -> None:
    body = gql(client, ORG_QUERY, {"code": COMPANY.credit_code})
    org = body["data"]["organization"]
    assert org["name"] == COMPANY.name
    docs = sorted(r["documentNumber"] for r in org["records"])
    assert docs == [
        "菏市监罚〔2026〕1号",
        "菏市监许〔2026〕3号",
    ]  # the simple-procedure penalty is not published
    rep = org["legalRepresentative"]
    assert rep["name"] == "张*丰"
    assert rep["idNumber"] is None and rep["phone"] is None
    denied = {tuple(e["path"][-2:]): e["extensions"] for e in body["errors"]}
    assert denied[("legalRepresentative", "idNumber")]["code"] == "FORBIDDEN_FIELD"
    assert denied[("legalRepresentative", "idNumber")]["rule"] == "default-deny"
    assert org["listEntries"][0]["records"] == [{"documentNumber": "菏市监罚〔2026〕1号"}]


def test_partner_with_consent_reads_the_scoped_fields_only(client: httpx.Client, env: GatewayEnv) -> None:
    token = grant(client, env, ["IDENTITY", "RECORDS"])
    body = gql(
        client,
        PERSON_QUERY,
        {"id": ZHANG.id_number, "consent": token, "purpose": "FINANCIAL_SERVICE"},
        partner(env),
    )
    person = body["data"]["person"]
    assert person["name"] == ZHANG.name and person["idNumber"] == ZHANG.id_number
    assert person["records"] == [{"documentNumber": "菏市监罚〔2026〕4号"}]
    assert person["phone"] is None and person["healthStatus"] is None
    assert set(codes(body)) == {"FORBIDDEN_FIELD"}
    rules = {e["path"][-1]: e["extensions"]["rule"] for e in body["errors"]}
    assert set(rules) == {"phone", "address", "healthStatus"}


def test_unknown_person_and_missing_consent_look_the_same(client: httpx.Client, env: GatewayEnv) -> None:
    token = grant(client, env, ["IDENTITY"])
    unknown = "11010519491231002X"
    answers = [
        gql(
            client,
            PERSON_QUERY,
            {"id": LI.id_number, "consent": None, "purpose": "FINANCIAL_SERVICE"},
            partner(env),
        ),
        gql(
            client,
            PERSON_QUERY,
            {"id": unknown, "consent": None, "purpose": "FINANCIAL_SERVICE"},
            partner(env),
        ),
        gql(
            client,
            PERSON_QUERY,
            {"id": unknown, "consent": token, "purpose": "FINANCIAL_SERVICE"},
            partner(env),
        ),
        gql(
            client,
            PERSON_QUERY,
            {"id": LI.id_number, "consent": token, "purpose": "FINANCIAL_SERVICE"},
            partner(env),
        ),
    ]
    shapes = [(a["data"], [(e["message"], e["extensions"]) for e in a["errors"]]) for a in answers]
    assert all(shape == shapes[0] for shape in shapes)
    assert codes(answers[0]) == ["PERSON_UNAVAILABLE"]


def test_consent_of_another_grantee_or_purpose_is_refused(client: httpx.Client, env: GatewayEnv) -> None:
    token = grant(client, env, ["IDENTITY"])
    other_org = partner(env, org=MARKET.credit_code, kind=AgencyKind.MARKET_REGULATION)
    wrong_org = gql(
        client,
        PERSON_QUERY,
        {"id": ZHANG.id_number, "consent": token, "purpose": "FINANCIAL_SERVICE"},
        other_org,
    )
    assert codes(wrong_org) == ["CONSENT_WRONG_GRANTEE"]
    wrong_purpose = gql(
        client, PERSON_QUERY, {"id": ZHANG.id_number, "consent": token, "purpose": "EMPLOYMENT"}, partner(env)
    )
    assert codes(wrong_purpose) == ["CONSENT_PURPOSE_MISMATCH"]
    forged = gql(
        client,
        PERSON_QUERY,
        {"id": ZHANG.id_number, "consent": token[:-4] + "AAAA", "purpose": "FINANCIAL_SERVICE"},
        partner(env),
    )
    assert codes(forged) == ["CONSENT_INVALID"]


def test_revoked_consent_is_refused_with_its_own_code(client: httpx.Client, env: GatewayEnv) -> None:
    body = gql(client, GRANT, {"grantee": BANK_CODE, "scopes": ["IDENTITY"], "uses": 3}, individual(env))
    token, cid = body["data"]["grantConsent"]["token"], body["data"]["grantConsent"]["consent"]["id"]
    revoked = gql(
        client, "mutation($id: ID!) { revokeConsent(id: $id) { status } }", {"id": cid}, individual(env)
    )
    assert revoked["data"]["revokeConsent"]["status"] == "REVOKED"
    body = gql(
        client,
        PERSON_QUERY,
        {"id": ZHANG.id_number, "consent": token, "purpose": "FINANCIAL_SERVICE"},
        partner(env),
    )
    assert codes(body) == ["CONSENT_REVOKED"]
    listed = gql(client, "{ consents { id status uses } }", None, individual(env))
    assert listed["data"]["consents"] == [{"id": cid, "status": "REVOKED", "uses": 0}]


def test_me_shows_the_whole_record_to_the_person_alone(client: httpx.Client, env: GatewayEnv) -> None:
    query = "{ me { name idNumber phone healthStatus religion linkedRecords { documentNumber } } }"
    me = gql(client, query, None, individual(env))["data"]["me"]
    assert me["idNumber"] == ZHANG.id_number and me["healthStatus"] == "良好" and me["religion"] == "无"
    assert me["linkedRecords"] == [{"documentNumber": "菏市监罚〔2026〕1号"}]  # the company's serious penalty
    assert codes(gql(client, query, None, partner(env))) == ["FORBIDDEN_OPERATION"]


def test_provider_submits_records_of_its_own_authority_only(client: httpx.Client, env: GatewayEnv) -> None:
    mutation = """
    mutation($records: [RecordSubmission!]!) {
      submitRecords(records: $records) { created updated unchanged rejected { index field reason } }
    }"""
    record = {
        "subjectCreditCode": COMPANY.credit_code, "category": "ADMINISTRATIVE_PENALTY",
        "documentNumber": "菏市监罚〔2026〕9号", "authorityCode": MARKET.credit_code,
        "decisionDate": "2026-03-05", "content": "未按规定公示年报", "severity": "GENERAL",
    }  # fmt: skip
    foreign = {**record, "authorityCode": BANK_CODE, "documentNumber": "X-1"}
    bad = {**record, "documentNumber": "X-2", "decisionDate": "2026-02-30"}
    twice = {**record, "content": "重复提交"}
    headers = env.headers(Role.PROVIDER, org_code=MARKET.credit_code)
    body = gql(client, mutation, {"records": [record, foreign, bad, twice]}, headers)
    result = body["data"]["submitRecords"]
    assert (result["created"], result["updated"], result["unchanged"]) == (1, 0, 0)
    assert result["rejected"] == [
        {
            "index": 1,
            "field": "authorityCode",
            "reason": "a provider submits records of its own authority only",
        },
        {"index": 2, "field": "decisionDate", "reason": "is not a calendar date"},
        {"index": 3, "field": "documentNumber", "reason": "duplicate of record 0"},
    ]
    again = gql(client, mutation, {"records": [record]}, headers)["data"]["submitRecords"]
    assert again["unchanged"] == 1


@pytest.mark.parametrize(
    ("send", "status", "code"),
    [
        ({"content": b"{not json", "headers": JSON_BODY}, 400, "MALFORMED_REQUEST"),
        ({"content": b"\xff\xfe", "headers": JSON_BODY}, 400, "MALFORMED_REQUEST"),
        ({"content": b'{"query": "{ __typename }"}'}, 415, "UNSUPPORTED_MEDIA_TYPE"),
        (
            {"content": b'{"query": "{ __typename }", "x": "' + b"a" * 70_000 + b'"}', "headers": JSON_BODY},
            413,
            "REQUEST_TOO_LARGE",
        ),
        ({"json": [{"query": "{ __typename }"}] * 6}, 400, "TOO_MANY_OPERATIONS"),
        (
            {"json": {"query": "{ __typename }"}, "headers": {"Authorization": "Bearer abc.def.ghi"}},
            401,
            "TOKEN_MALFORMED",
        ),
        (
            {"json": {"query": "{ __typename }"}, "headers": {"Authorization": "Basic dXNlcjpwYXNz"}},
            401,
            "TOKEN_MALFORMED",
        ),
    ],
)
def test_bad_requests_get_their_own_code_never_a_500(
    client: httpx.Client, send: dict[str, Any], status: int, code: str
) -> None:
    response = client.post("/graphql", **send)
    assert response.status_code == status
    assert response.json()["errors"][0]["extensions"]["code"] == code


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ __schema { types { name } } }", "INTROSPECTION_DISABLED"),
        ('{ organization(creditCode: "x") { records { id } } }', "INVALID_INPUT"),
        ('{ organization(creditCode: "x") { nmae } }', "GRAPHQL_VALIDATION_FAILED"),
        ("{ " + " ".join(f"a{i}: __typename" for i in range(6)) + " }", "TOO_MANY_ALIASES"),
        ("{ a { b { c { d { e { f { g } } } } } } }", "QUERY_TOO_DEEP"),
        ("{ organization(creditCode: ", "GRAPHQL_PARSE_FAILED"),
    ],
)
def test_query_refusals_have_stable_codes(client: httpx.Client, query: str, code: str) -> None:
    body = gql(client, query)
    assert code in codes(body)
    assert all("Did you mean" not in e["message"] for e in body["errors"])


def test_variables_of_the_wrong_type_are_a_graphql_error(client: httpx.Client) -> None:
    body = gql(client, ORG_QUERY, {"code": 12})
    assert codes(body) == ["BAD_USER_INPUT"]


def test_health_and_readiness(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "alive"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_batched_operations_answer_in_order(client: httpx.Client) -> None:
    response = client.post("/graphql", json=[{"query": "{ __typename }"}, {"query": "{ nope }"}])
    first, second = response.json()
    assert first == {"data": {"__typename": "Query"}}
    assert codes(second) == ["GRAPHQL_VALIDATION_FAILED"]

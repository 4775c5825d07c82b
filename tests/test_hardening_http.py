"""Every hardening limit over real HTTP, each refusal with its own code: per-role depth, alias and token
limits, request size, batch cap, rate limit, introspection, suggestions and GraphiQL by mode, and
malformed or absurd input (4xx or a GraphQL error with a stable code, never a 500 or a traceback)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from gateway.access.tokens import Role
from gateway.api.app import create_app
from gateway.domain import AgencyKind
from gateway.store import db
from tests.api_client import codes, gql, individual, partner, post
from tests.gateway_fixtures import BANK_CODE, COMPANY, ZHANG, GatewayEnv, build_env
from tests.server import running

ORG_DEEP = "query($code: String!) { organization(creditCode: $code) { listEntries { records { id } } } }"
ORG_ALIASES = "query($code: String!) { a: organization(creditCode: $code) { id } b: __typename }"
ORG_WIDE = (
    "query($code: String!) { organization(creditCode: $code) "
    "{ id kind form name creditCode registeredAddress agencyKind records { id category documentNumber "
    "authorityCode authorityName decisionDate legalBasis severity procedure status kept version } } }"
)
# public: depth 3, 1 alias, 40 tokens; partner: the defaults.
LIMITS = "public=3:1:40,partner=8:15:2000"


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> GatewayEnv:
    return build_env(tmp_path, database_url, limits=LIMITS, max_batch=2)


def serve(env: GatewayEnv, **overrides: Any) -> Iterator[httpx.Client]:
    settings = env.settings.with_overrides(**overrides)
    with running(create_app(settings)) as base, httpx.Client(base_url=base, timeout=10) as http:
        yield http


@pytest.fixture
def client(env: GatewayEnv) -> Iterator[httpx.Client]:
    yield from serve(env)


@pytest.fixture
def dev_client(env: GatewayEnv) -> Iterator[httpx.Client]:
    yield from serve(env, dev_mode=True)


# --- per-role document limits --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "code"),
    [(ORG_DEEP, "QUERY_TOO_DEEP"), (ORG_ALIASES, "TOO_MANY_ALIASES"), (ORG_WIDE, "QUERY_TOO_LARGE")],
    ids=["depth", "aliases", "tokens"],
)
def test_a_partner_may_run_a_query_the_public_is_refused(
    client: httpx.Client, env: GatewayEnv, query: str, code: str
) -> None:
    variables = {"code": COMPANY.credit_code}
    refused = gql(client, query, variables)
    assert refused == {"errors": [refused["errors"][0]]} and codes(refused) == [code]
    assert "for this caller" in refused["errors"][0]["message"]
    allowed = gql(client, query, variables, partner(env))
    assert "errors" not in allowed and allowed["data"]


def test_roles_without_their_own_limits_get_the_defaults(client: httpx.Client, env: GatewayEnv) -> None:
    """LIMITS names public and partner only: an individual gets the built-in defaults, not the public's."""
    body = gql(client, ORG_WIDE, {"code": COMPANY.credit_code}, individual(env))
    assert "errors" not in body


def test_limits_count_aliases_and_depth_inside_fragments(client: httpx.Client, env: GatewayEnv) -> None:
    aliased = "query($c: String!) { ...F } fragment F on Query { x: organization(creditCode: $c) { id } y: __typename }"
    assert codes(gql(client, aliased, {"c": COMPANY.credit_code})) == ["TOO_MANY_ALIASES"]
    deep = (
        "query($c: String!) { organization(creditCode: $c) { ...E } } "
        "fragment E on Organization { listEntries { records { id } } }"
    )
    assert codes(gql(client, deep, {"c": COMPANY.credit_code})) == ["QUERY_TOO_DEEP"]


# --- request size and batches --------------------------------------------------------------------


def test_a_body_over_the_size_limit_is_refused_whether_declared_or_streamed(env: GatewayEnv) -> None:
    body = json.dumps({"query": "{ __typename }", "variables": {"pad": "x" * 5_000}}).encode()
    for client in serve(env, max_request_bytes=4_096):
        json_body = {"Content-Type": "application/json"}
        declared = client.post("/graphql", content=body, headers=json_body)
        # chunked, no length
        streamed = client.post("/graphql", content=iter([body[:2_000], body[2_000:]]), headers=json_body)
        for response in (declared, streamed):
            assert response.status_code == 413
            assert codes(response.json()) == ["REQUEST_TOO_LARGE"]
        small = json.dumps({"query": "{ __typename }", "variables": {"pad": "x" * 4_000}}).encode()
        answered = client.post("/graphql", content=small, headers=json_body)
        assert answered.json() == {"data": {"__typename": "Query"}}
        # The same body without a Content-Type is refused before it is read (GraphQL over HTTP).
        undeclared = client.post("/graphql", content=small)
        assert undeclared.status_code == 415 and codes(undeclared.json()) == ["UNSUPPORTED_MEDIA_TYPE"]


def test_a_batch_over_the_cap_is_refused_and_one_within_it_answers(client: httpx.Client) -> None:
    over = client.post("/graphql", json=[{"query": "{ __typename }"}] * 3)
    assert over.status_code == 400 and codes(over.json()) == ["TOO_MANY_OPERATIONS"]
    empty = client.post("/graphql", json=[])
    assert empty.status_code == 400 and codes(empty.json()) == ["TOO_MANY_OPERATIONS"]
    within = client.post("/graphql", json=[{"query": "{ __typename }"}] * 2)
    assert within.status_code == 200 and within.json() == [{"data": {"__typename": "Query"}}] * 2


# --- rate limit ----------------------------------------------------------------------------------


def test_a_caller_over_its_rate_gets_429_with_retry_after_and_others_are_still_served(
    env: GatewayEnv,
) -> None:
    for client in serve(env, rate_per_second=0.01, rate_burst=2):
        bank = partner(env)
        for _ in range(2):
            assert post(client, "{ __typename }", headers=bank).status_code == 200
        limited = post(client, "{ __typename }", headers=bank)
        assert limited.status_code == 429
        assert codes(limited.json()) == ["RATE_LIMITED"]
        # At 0.01 requests per second the next request is allowed 100 s later, not 1 s.
        assert int(limited.headers["Retry-After"]) == 100
        court = partner(env, AgencyKind.COURT, org=COMPANY.credit_code)
        assert post(client, "{ __typename }", headers=court).status_code == 200
        assert post(client, "{ __typename }").status_code == 200  # the public, by address


# --- modes: introspection, suggestions, GraphiQL --------------------------------------------------

INTROSPECTION = ["{ __schema { queryType { name } } }", '{ __type(name: "Person") { name } }']


@pytest.mark.parametrize("query", INTROSPECTION)
def test_introspection_is_off_outside_dev_mode(client: httpx.Client, env: GatewayEnv, query: str) -> None:
    for headers in ({}, env.headers(Role.ADMIN, subject="ops-1")):
        body = gql(client, query, headers=headers)
        assert "data" not in body and codes(body) == ["INTROSPECTION_DISABLED"]


@pytest.mark.parametrize("query", INTROSPECTION)
def test_introspection_answers_in_dev_mode(dev_client: httpx.Client, query: str) -> None:
    body = gql(dev_client, query)
    assert "errors" not in body
    assert body["data"] in ({"__schema": {"queryType": {"name": "Query"}}}, {"__type": {"name": "Person"}})


TYPO = '{ organization(creditCode: "x") { nmae } }'


def test_no_field_suggestions_outside_dev_mode(client: httpx.Client) -> None:
    body = gql(client, TYPO)
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "Did you mean" not in json.dumps(body) and "'name'" not in json.dumps(body)


def test_field_suggestions_in_dev_mode(dev_client: httpx.Client) -> None:
    body = gql(dev_client, TYPO)
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "Did you mean 'name'?" in body["errors"][0]["message"]


def test_graphiql_and_queries_over_get_only_in_dev_mode(
    client: httpx.Client, dev_client: httpx.Client
) -> None:
    for path in ("/graphql", "/graphql?query=%7B__typename%7D"):
        refused = client.get(path, headers={"Accept": "text/html"})
        assert refused.status_code == 405 and codes(refused.json()) == ["METHOD_NOT_ALLOWED"]
    page = dev_client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "graphiql" in page.text.lower()


# --- malformed and absurd input ------------------------------------------------------------------

PERSON = """query($id: String!, $consent: String, $purpose: ConsentPurpose!) {
  person(idNumber: $id, consent: $consent, purpose: $purpose) { name } }"""
GRANT = """mutation($input: GrantConsentInput!) { grantConsent(input: $input) { token } }"""
GRANT_INPUT = {
    "grantee": BANK_CODE,
    "purpose": "EMPLOYMENT",
    "scopes": ["IDENTITY"],
    "ttlSeconds": 3600,
    "maxUses": 1,
}


def deep(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"[" * 3_000 + b"]" * 3_000, 400, "MALFORMED_REQUEST"),  # deeper than Python's JSON parser goes
        (
            b'{"query": "{ __typename }", "variables": ' + b"[" * 1_900 + b"]" * 1_900 + b"}",
            400,
            "MALFORMED_REQUEST",
        ),
        (b"42", 400, "MALFORMED_REQUEST"),
        (b'"{ __typename }"', 400, "MALFORMED_REQUEST"),
        (b"null", 400, "MALFORMED_REQUEST"),
        (b"", 400, "MALFORMED_REQUEST"),
        (b'{"query": "{ __typename }"} trailing', 400, "MALFORMED_REQUEST"),
        (b'{"query": "{ organization(creditCode: \\"\\ud800\\") { id } }"}', 400, "MALFORMED_REQUEST"),
        (
            b'{"query": "query($p: ConsentPurpose!) { __typename }", "variables": {"p": "\\udfff"}}',
            400,
            "MALFORMED_REQUEST",
        ),
    ],
    ids=[
        "nested arrays",
        "nested variables",
        "a number",
        "a string",
        "null",
        "empty",
        "trailing text",
        "lone surrogate in the query",
        "lone surrogate in a variable",
    ],
)
def test_bodies_that_are_not_a_graphql_request_are_a_400(
    client: httpx.Client, body: bytes, status: int, code: str
) -> None:
    response = client.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    assert (response.status_code, codes(response.json())) == (status, [code])


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"query": 12}, "MALFORMED_REQUEST"),
        ({"query": "{ __typename }", "variables": [1, 2]}, "MALFORMED_REQUEST"),
        ({"query": "{ __typename }", "operationName": {"x": 1}}, "MALFORMED_REQUEST"),
        ({"query": "query A { __typename } mutation B { __typename }"}, "GRAPHQL_VALIDATION_FAILED"),
        ({"query": "query A { __typename }", "operationName": "B"}, "GRAPHQL_VALIDATION_FAILED"),
        ({"query": "{ __typename \u0000 }"}, "GRAPHQL_PARSE_FAILED"),
        ({"query": "fragment F on Query { ...F } { ...F }"}, "GRAPHQL_VALIDATION_FAILED"),
        ({"query": "x" * 3_000}, "GRAPHQL_PARSE_FAILED"),
    ],
)
def test_malformed_operations_get_a_stable_code(
    client: httpx.Client, payload: dict[str, Any], code: str
) -> None:
    response = client.post("/graphql", json=payload)
    assert response.status_code in (200, 400)
    assert codes(response.json()) == [code]


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"id": 371702, "purpose": "EMPLOYMENT"}, "BAD_USER_INPUT"),
        ({"id": ZHANG.id_number, "purpose": "GOSSIP"}, "BAD_USER_INPUT"),
        ({"id": ZHANG.id_number, "purpose": "employment"}, "BAD_USER_INPUT"),
        ({"id": ZHANG.id_number}, "BAD_USER_INPUT"),
        ({"id": deep(500), "purpose": "EMPLOYMENT"}, "BAD_USER_INPUT"),
        ({"id": "9" * 1_000, "purpose": "EMPLOYMENT"}, "INVALID_INPUT"),
        ({"id": "37170219850314\u00000318", "purpose": "EMPLOYMENT"}, "INVALID_INPUT"),
        ({"id": ZHANG.id_number, "purpose": "EMPLOYMENT", "consent": "\u0000" * 100}, "CONSENT_INVALID"),
        ({"id": ZHANG.id_number, "purpose": "EMPLOYMENT", "consent": "a.b.c" * 1_000}, "CONSENT_INVALID"),
        ({"id": ZHANG.id_number, "purpose": "EMPLOYMENT", "consent": "\U0001f600.\U0001f600.\U0001f600"}, "CONSENT_INVALID"),
    ],
    ids=["number", "unknown enum", "enum case", "missing", "nested", "long", "null byte", "null consent",
         "long consent", "emoji consent"],
)  # fmt: skip
def test_absurd_person_lookups_get_a_stable_code(
    client: httpx.Client, env: GatewayEnv, variables: dict[str, Any], code: str
) -> None:
    body = gql(client, PERSON, variables, partner(env))
    assert body["data"] is None and codes(body) == [code]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"maxUses": 2**40}, "BAD_USER_INPUT"),
        ({"maxUses": 0}, "INVALID_INPUT"),
        ({"ttlSeconds": -1}, "INVALID_INPUT"),
        ({"scopes": []}, "INVALID_INPUT"),
        ({"scopes": ["EVERYTHING"]}, "BAD_USER_INPUT"),
        ({"grantee": "\u0000" * 18}, "INVALID_INPUT"),
        ({"grantee": "9" * 10_00}, "INVALID_INPUT"),
        ({"purpose": None}, "BAD_USER_INPUT"),
        ({"extra": 1}, "BAD_USER_INPUT"),
    ],
)
def test_absurd_consent_grants_get_a_stable_code(
    client: httpx.Client, env: GatewayEnv, change: dict[str, Any], code: str
) -> None:
    body = gql(client, GRANT, {"input": GRANT_INPUT | change}, individual(env))
    assert body["data"] is None and codes(body) == [code]


def test_the_operation_named_in_operation_name_is_the_one_that_runs(client: httpx.Client) -> None:
    document = "query A { __typename } mutation B { __typename }"
    for name, data in (("A", {"__typename": "Query"}), ("B", {"__typename": "Mutation"})):
        assert client.post("/graphql", json={"query": document, "operationName": name}).json() == {
            "data": data
        }


@pytest.mark.parametrize("consent_id", ["a\u0000b", "x" * 5_000, "'; DROP TABLE consents; --", "\U0001f600"])
def test_consent_changes_naming_absurd_ids_are_not_found(
    client: httpx.Client, env: GatewayEnv, consent_id: str
) -> None:
    body = gql(
        client, "mutation($id: ID!) { pauseConsent(id: $id) { id } }", {"id": consent_id}, individual(env)
    )
    assert body["data"] is None and codes(body) == ["NOT_FOUND"]


# --- ambiguous requests and clients that go away ---------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"query": "{ __typename }", "query": "{ me { idNumber } }"}',
        b'{"query": "query($n: Float) { __typename }", "variables": {"n": NaN}}',
        b'{"query": "query($n: Float) { __typename }", "variables": {"n": -Infinity}}',
        b'[{"query": "{ __typename }", "variables": {"a": 1, "a": 2}}]',
    ],
    ids=["duplicate query", "NaN", "-Infinity", "duplicate name inside a batch"],
)
def test_json_that_parsers_read_differently_is_malformed(client: httpx.Client, body: bytes) -> None:
    response = client.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    assert (response.status_code, codes(response.json())) == (400, ["MALFORMED_REQUEST"])


def test_two_authorization_headers_are_malformed(client: httpx.Client, env: GatewayEnv) -> None:
    token = env.token(Role.AUDITOR, subject="auditor-1")
    response = client.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers=[("Authorization", f"Bearer {token}"), ("Authorization", "Bearer other")],
    )
    assert (response.status_code, codes(response.json())) == (400, ["MALFORMED_REQUEST"])


def test_a_client_that_goes_away_mid_body_leaves_an_abandoned_event(
    env: GatewayEnv, capfd: pytest.CaptureFixture[str]
) -> None:
    with running(create_app(env.settings)) as base:
        url = httpx.URL(base)
        with socket.create_connection((url.host, url.port), timeout=5) as sock:
            sock.sendall(
                b"POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
                b'Content-Length: 1000\r\n\r\n{"query": "{ __typ'
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not _abandoned(env):
            time.sleep(0.05)
        abandoned = _abandoned(env)
    assert abandoned == [("CLIENT_DISCONNECTED",)]
    assert "Exception in ASGI application" not in capfd.readouterr().err


def _abandoned(env: GatewayEnv) -> list[tuple[str]]:
    engine = db.make_engine(env.settings.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT k.value FROM audit_events e JOIN audit_event_keys k ON k.seq = e.seq "
                    "WHERE e.outcome = 'ABANDONED' AND k.kind = 'code'"
                )
            ).all()
    finally:
        engine.dispose()
    return [tuple(r) for r in rows]

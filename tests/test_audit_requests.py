"""Every request to /graphql leaves exactly one audit event per operation, over real HTTP, whatever
its fate; events say who asked what and what they got, and never hold an identity value or token."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import parse, print_ast

from gateway.access.tokens import Role
from gateway.api.app import create_app
from gateway.domain import AgencyKind
from tests.audit_helpers import (
    PERSON_QUERY,
    connection,
    event_count,
    events,
    grant,
    partner,
    post,
    sequences,
)
from tests.gateway_fixtures import BANK_CODE, COMPANY, LI, MARKET, ZHANG, GatewayEnv, build_env
from tests.server import running

JSON_BODY = {"Content-Type": "application/json"}


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> GatewayEnv:
    return build_env(tmp_path, database_url)


@pytest.fixture
def client(env: GatewayEnv) -> Iterator[httpx.Client]:
    with running(create_app(env.settings)) as base, httpx.Client(base_url=base, timeout=10) as http:
        yield http


def _one_new_event(env: GatewayEnv, response: httpx.Response, before: int) -> dict[str, Any]:
    stored = events(env.settings.database_url)
    assert len(stored) == before + 1, "exactly one event per request"
    assert sequences(response) == [before]
    assert stored[-1]["seq"] == before
    return stored[-1]


@pytest.mark.parametrize(
    ("send", "status", "code"),
    [
        ({"content": b"{not json", "headers": JSON_BODY}, 400, "MALFORMED_REQUEST"),
        ({"content": b'{"query": "{ __typename }"}'}, 415, "UNSUPPORTED_MEDIA_TYPE"),
        ({"content": b'{"query": "{ __typename }", "x": "' + b"a" * 70_000 + b'"}', "headers": JSON_BODY}, 413, "REQUEST_TOO_LARGE"),
        ({"json": {"query": "{ __typename }"}, "headers": {"Authorization": "Bearer abc.def.ghi"}}, 401, "TOKEN_MALFORMED"),
        ({"json": [{"query": "{ __typename }"}] * 6}, 400, "TOO_MANY_OPERATIONS"),
        ({"json": []}, 400, "TOO_MANY_OPERATIONS"),
    ],
)  # fmt: skip
def test_a_request_refused_before_it_runs_leaves_one_refused_event(
    client: httpx.Client, env: GatewayEnv, send: dict[str, Any], status: int, code: str
) -> None:
    before = event_count(env.settings.database_url)
    response = client.post("/graphql", **send)
    assert response.status_code == status
    event = _one_new_event(env, response, before)
    assert (event["outcome"], event["errors"], event["http_status"]) == ("REFUSED", [code], status)
    assert event["client"] == "127.0.0.1" and event["batch_size"] == 0


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "OPTIONS"])
def test_another_method_than_post_is_refused_and_logged(
    client: httpx.Client, env: GatewayEnv, method: str
) -> None:
    before = event_count(env.settings.database_url)
    response = client.request(method, "/graphql")
    assert response.status_code == 405
    assert _one_new_event(env, response, before)["errors"] == ["METHOD_NOT_ALLOWED"]


@pytest.mark.parametrize(
    ("query", "code", "role"),
    [
        ("{ a { b { c { d { e { f { g } } } } } } }", "QUERY_TOO_DEEP", None),
        ('{ organization(creditCode: "x") { nmae } }', "GRAPHQL_VALIDATION_FAILED", None),
        ("{ organization(creditCode: ", "GRAPHQL_PARSE_FAILED", None),
        ("{ me { name } }", "FORBIDDEN_OPERATION", Role.PARTNER),
        ('{ organization(creditCode: "x") { name } }', "INVALID_INPUT", Role.PARTNER),
    ],
)
def test_an_operation_refused_by_limits_validation_or_role_leaves_one_refused_event(
    client: httpx.Client, env: GatewayEnv, query: str, code: str, role: Role | None
) -> None:
    headers = partner(env) if role is Role.PARTNER else {}
    before = event_count(env.settings.database_url)
    response = post(client, query, headers=headers)
    assert response.status_code == 200
    event = _one_new_event(env, response, before)
    assert (event["outcome"], event["errors"]) == ("REFUSED", [code])
    assert event["role"] == ("partner" if role else "public")


def test_the_rate_limit_refusal_is_logged_with_the_caller(tmp_path: Path, database_url: str) -> None:
    env = build_env(tmp_path, database_url, rate_per_second=0.001, rate_burst=1)
    with running(create_app(env.settings)) as base, httpx.Client(base_url=base, timeout=10) as client:
        first = post(client, "{ __typename }", headers=partner(env))
        before = event_count(database_url)
        second = post(client, "{ __typename }", headers=partner(env))
    assert first.status_code == 200 and second.status_code == 429
    event = _one_new_event(env, second, before)
    assert (event["errors"], event["caller_id"], event["organization"]) == (
        ["RATE_LIMITED"],
        BANK_CODE,
        BANK_CODE,
    )


def test_a_consented_lookup_records_fields_rules_consent_purpose_and_subject(
    client: httpx.Client, env: GatewayEnv
) -> None:
    token, consent_id = grant(client, env, ["IDENTITY", "RECORDS"])
    before = event_count(env.settings.database_url)
    variables = {"id": ZHANG.id_number, "consent": token, "purpose": "FINANCIAL_SERVICE"}
    response = post(client, PERSON_QUERY, variables, partner(env))
    assert response.json()["data"]["person"]["name"] == ZHANG.name
    event = _one_new_event(env, response, before)
    assert event["outcome"] == "PARTIAL"  # the phone was denied
    assert event["errors"] == ["FORBIDDEN_FIELD"]
    assert event["fields"]["whole"] == {"Person.name": 1, "Person.idNumber": 1, "Person.records": 1,
                                        "CreditRecord.documentNumber": 1}  # fmt: skip
    assert event["fields"]["denied"] == {"Person.phone": 1}
    assert event["rules"] == {"Person.phone": "default-deny"}
    assert (event["consent_id"], event["purpose"]) == (consent_id, "FINANCIAL_SERVICE")
    assert event["subjects"] == [env.ids["zhang"]]
    assert (event["role"], event["organization"], event["agency_kind"]) == ("partner", BANK_CODE, "FINANCE")
    assert (event["operation_type"], event["root_fields"]) == ("query", ["person"])
    assert event["variables"]["purpose"] == "FINANCIAL_SERVICE"
    assert event["variables"]["id"].startswith("idn:") and event["variables"]["consent"].startswith("tok:")
    assert event["variables"]["id"] in event["pseudonyms"]
    assert event["document_sha256"] == hashlib.sha256(print_ast(parse(PERSON_QUERY)).encode()).hexdigest()
    assert isinstance(event["duration_us"], int) and event["duration_us"] > 0


def test_a_consent_used_by_another_organisation_is_refused_and_logged(
    client: httpx.Client, env: GatewayEnv
) -> None:
    token, consent_id = grant(client, env, ["IDENTITY"])
    before = event_count(env.settings.database_url)
    other = partner(env, org=MARKET.credit_code, kind=AgencyKind.MARKET_REGULATION)
    response = post(
        client, PERSON_QUERY, {"id": ZHANG.id_number, "consent": token, "purpose": "FINANCIAL_SERVICE"}, other
    )
    event = _one_new_event(env, response, before)
    assert (event["outcome"], event["errors"], event["consent_id"]) == (
        "REFUSED",
        ["CONSENT_WRONG_GRANTEE"],
        consent_id,
    )
    assert event["subjects"] == []  # nothing of the person was returned
    assert event["organization"] == MARKET.credit_code


def test_a_batch_leaves_one_event_per_operation_under_one_request_id(
    client: httpx.Client, env: GatewayEnv
) -> None:
    before = event_count(env.settings.database_url)
    response = client.post(
        "/graphql",
        json=[{"query": "{ __typename }"}, {"query": "{ nope }"}, {"query": "query Org($c: String!) { organization(creditCode: $c) { name } }", "variables": {"c": COMPANY.credit_code}}],
    )  # fmt: skip
    assert response.status_code == 200
    stored = events(env.settings.database_url)[before:]
    assert sequences(response) == [before, before + 1, before + 2]
    assert [e["batch_index"] for e in stored] == [0, 1, 2]
    assert {e["batch_size"] for e in stored} == {3} and len({e["request"] for e in stored}) == 1
    assert [e["outcome"] for e in stored] == ["ANSWERED", "REFUSED", "ANSWERED"]
    assert stored[2]["operation_name"] == "Org" and stored[2]["subjects"] == [env.ids["company"]]
    assert stored[2]["variables"] == {"c": COMPANY.credit_code}  # an organisation's code is public


def test_an_internal_failure_is_logged_as_failed(client: httpx.Client, env: GatewayEnv) -> None:
    with connection(env.settings.database_url) as conn:
        conn.exec_driver_sql("ALTER TABLE list_entries RENAME TO list_entries_away")
    before = event_count(env.settings.database_url)
    response = post(client, "query($c: String!) { organization(creditCode: $c) { name listEntries { kind } } }",
                    {"c": COMPANY.credit_code})  # fmt: skip
    assert "INTERNAL_ERROR" in {e["extensions"]["code"] for e in response.json()["errors"]}
    assert _one_new_event(env, response, before)["outcome"] == "FAILED"


def test_no_identity_number_phone_or_token_is_stored_anywhere_in_the_log(
    client: httpx.Client, env: GatewayEnv
) -> None:
    token, _ = grant(client, env, ["IDENTITY", "CONTACT"])
    bearer = partner(env)["Authorization"].removeprefix("Bearer ")
    forged = bearer[:-3] + "AAA"
    assert ZHANG.phone is not None and LI.phone is not None
    secrets = [ZHANG.id_number, LI.id_number, ZHANG.phone, LI.phone, token, bearer, forged]
    post(
        client,
        PERSON_QUERY,
        {"id": ZHANG.id_number, "consent": token, "purpose": "FINANCIAL_SERVICE"},
        partner(env),
    )
    post(
        client,
        PERSON_QUERY,
        {"id": LI.id_number.lower(), "consent": token, "purpose": "FINANCIAL_SERVICE"},
        partner(env),
    )
    post(
        client,
        f'query q{LI.id_number} {{ a{ZHANG.id_number}: person(idNumber: "{ZHANG.id_number}", consent: "{token}", purpose: EMPLOYMENT) {{ name }} }}',
        None,
        partner(env),
    )
    post(client, "query($c: String!) { organization(creditCode: $c) { name } }", {"c": LI.id_number})
    post(
        client,
        "query($c: String!) { organization(creditCode: $c) { name } }",
        {"c": token, "extra": ZHANG.phone},
    )
    client.post("/graphql", json={"query": "{ __typename }"}, headers={"Authorization": f"Bearer {forged}"})
    client.post(
        "/graphql",
        json={"query": f'{{ person(idNumber: "{ZHANG.id_number}") }}', "variables": {"p": ZHANG.phone}},
    )
    client.post(
        "/graphql", json=[{"query": f"# {LI.phone}\n{{ __typename }}", "operationName": f"x{LI.phone}"}]
    )
    with connection(env.settings.database_url) as conn:
        stored = [row for table in ("audit_events", "audit_event_keys", "audit_heads")
                  for row in conn.exec_driver_sql(f"SELECT * FROM {table}").all()]  # fmt: skip
    assert len(stored) > 10
    dump = "\n".join(repr(value) + (bytes(value).decode("utf-8", "replace") if isinstance(value, bytes | memoryview) else "")
                     for row in stored for value in row)  # fmt: skip
    for secret in secrets:
        assert secret not in dump and secret.lower() not in dump

"""GraphQL over HTTP over real HTTP: the answer's media type negotiated by ``Accept``, request errors
as 400 with no ``data`` in ``application/graphql-response+json`` and as before in ``application/json``,
a body not declared as JSON refused with 415, an unacceptable ``Accept`` with 406, and the audit
event recording the status the client got (docs/graphql-over-http.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.api.app import create_app
from gateway.api.media import MediaType, negotiate
from gateway.errors import NotAcceptable
from tests.api_client import codes, partner
from tests.audit_helpers import events
from tests.gateway_fixtures import GatewayEnv, build_env
from tests.server import running

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON_BODY = {"Content-Type": "application/json"}
ASKS_GRAPHQL_RESPONSE = {**JSON_BODY, "Accept": GRAPHQL_RESPONSE}

REQUEST_ERRORS = [
    ({"query": "{"}, "GRAPHQL_PARSE_FAILED"),
    ({"query": "{ noSuchField }"}, "GRAPHQL_VALIDATION_FAILED"),
    ({"query": "query($id: ID!) { __typename }", "variables": {"id": None}}, "BAD_USER_INPUT"),
    ({"query": "query($c: String!) { organization(creditCode: $c) { id } }", "variables": {"c": 7}}, "BAD_USER_INPUT"),
    ({"query": "{ a { b { c { d { e { f { g { h { i } } } } } } } } }"}, "QUERY_TOO_DEEP"),
    ({"query": "{ __schema { types { name } } }"}, "INTROSPECTION_DISABLED"),
    ({"query": "query A { __typename } query B { __typename }"}, "GRAPHQL_VALIDATION_FAILED"),
    ({"query": 7}, "MALFORMED_REQUEST"),
]  # fmt: skip
REQUEST_ERROR_IDS = ["parse", "validation", "null-for-non-null", "wrong-type", "depth", "introspection",
                     "no-operation-chosen", "query-not-a-string"]  # fmt: skip


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> GatewayEnv:
    return build_env(tmp_path, database_url)


@pytest.fixture
def client(env: GatewayEnv) -> Iterator[httpx.Client]:
    with running(create_app(env.settings)) as base, httpx.Client(base_url=base, timeout=10) as http:
        yield http


# --- negotiation, without HTTP -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, MediaType.JSON),
        ("", MediaType.JSON),
        ("*/*", MediaType.JSON),
        ("application/*", MediaType.JSON),
        ("application/json", MediaType.JSON),
        ("APPLICATION/JSON; charset=utf-8", MediaType.JSON),
        (GRAPHQL_RESPONSE, MediaType.GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", MediaType.GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE}", MediaType.GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE};q=0.5", MediaType.JSON),
        (f"*/*, {GRAPHQL_RESPONSE}", MediaType.GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0, */*", MediaType.JSON),
        ("text/html, application/json;q=0.1", MediaType.JSON),
        ("application/json;q=abc", MediaType.JSON),
        ("application/json, multipart/mixed", MediaType.JSON),  # GraphiQL's
    ],
)
def test_the_answer_type_is_the_highest_quality_type_the_client_accepts(
    accept: str | None, chosen: MediaType
) -> None:
    assert negotiate(accept) is chosen


@pytest.mark.parametrize(
    "accept", ["text/html", "application/xml, text/*", "application/json;q=0", "*/*;q=0"]
)
def test_an_accept_header_naming_neither_type_is_not_acceptable(accept: str) -> None:
    with pytest.raises(NotAcceptable):
        negotiate(accept)


# --- the answer in each media type ---------------------------------------------------------------


def test_a_client_asking_for_the_graphql_response_type_gets_it(client: httpx.Client) -> None:
    response = client.post("/graphql", json={"query": "{ __typename }"}, headers={"Accept": GRAPHQL_RESPONSE})
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    assert response.headers["vary"] == "Accept"
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
def test_existing_clients_keep_application_json(client: httpx.Client, accept: str | None) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.post(
        "/graphql", content=b'{"query": "{ __typename }"}', headers={**JSON_BODY, **headers}
    )
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"


@pytest.mark.parametrize(("payload", "code"), REQUEST_ERRORS, ids=REQUEST_ERROR_IDS)
def test_a_request_error_is_400_without_data_in_the_graphql_response_type(
    client: httpx.Client, env: GatewayEnv, payload: dict[str, Any], code: str
) -> None:
    response = client.post("/graphql", json=payload, headers={"Accept": GRAPHQL_RESPONSE})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    body = response.json()
    assert "data" not in body and codes(body) == [code]
    # The audit event says what the client got: the 400, and the operation refused.
    event = events(env.settings.database_url)[-1]
    assert (event["http_status"], event["outcome"], event["errors"]) == (400, "REFUSED", [code])


@pytest.mark.parametrize(("payload", "code"), REQUEST_ERRORS, ids=REQUEST_ERROR_IDS)
def test_a_request_error_stays_200_in_application_json(
    client: httpx.Client, env: GatewayEnv, payload: dict[str, Any], code: str
) -> None:
    response = client.post("/graphql", json=payload, headers={"Accept": "application/json"})
    assert response.status_code == 200 and codes(response.json()) == [code]
    assert events(env.settings.database_url)[-1]["http_status"] == 200


def test_a_field_error_with_data_is_200_in_the_graphql_response_type(
    client: httpx.Client, env: GatewayEnv
) -> None:
    """A refused root field was executed: its answer has a ``data`` entry, here null (``me`` is
    non-null, so its failure nulls the whole result), and errors with a path: a field error, so 200."""
    response = client.post(
        "/graphql",
        json={"query": "{ __typename me { name } }"},
        headers={"Accept": GRAPHQL_RESPONSE, **partner(env)},
    )
    assert response.status_code == 200
    body = response.json()
    assert "data" in body and body["data"] is None
    assert codes(body) == ["FORBIDDEN_OPERATION"] and body["errors"][0]["path"] == ["me"]


def test_a_batch_answers_200_with_each_operation_shaped_for_the_type(client: httpx.Client) -> None:
    response = client.post(
        "/graphql",
        json=[{"query": "{ __typename }"}, {"query": "{ nope }"}],
        headers={"Accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    first, second = response.json()
    assert first == {"data": {"__typename": "Query"}}
    assert "data" not in second and codes(second) == ["GRAPHQL_VALIDATION_FAILED"]


def test_a_batch_of_one_answers_200_and_its_event_says_so(client: httpx.Client, env: GatewayEnv) -> None:
    response = client.post("/graphql", json=[{"query": "{"}], headers={"Accept": GRAPHQL_RESPONSE})
    assert response.status_code == 200
    (answer,) = response.json()
    assert "data" not in answer and codes(answer) == ["GRAPHQL_PARSE_FAILED"]
    assert events(env.settings.database_url)[-1]["http_status"] == 200


def test_a_refused_request_answers_in_the_negotiated_type(client: httpx.Client) -> None:
    response = client.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={"Accept": GRAPHQL_RESPONSE, "Authorization": "Bearer x"},
    )
    assert response.status_code == 401 and response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert codes(response.json()) == ["TOKEN_MALFORMED"]


# --- refusals of the request's media types ------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "application/graphql",
     "application/json; charset=iso-8859-1", "multipart/form-data; boundary=x"],
)  # fmt: skip
def test_a_body_not_declared_as_json_is_refused_with_415(
    client: httpx.Client, env: GatewayEnv, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/graphql", content=b'{"query": "{ __typename }"}', headers=headers)
    assert response.status_code == 415 and codes(response.json()) == ["UNSUPPORTED_MEDIA_TYPE"]
    event = events(env.settings.database_url)[-1]
    assert (event["outcome"], event["errors"], event["http_status"]) == (
        "REFUSED",
        ["UNSUPPORTED_MEDIA_TYPE"],
        415,
    )


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=UTF-8", "Application/JSON", "application/json;charset=utf8"]
)
def test_json_with_or_without_a_utf8_charset_is_accepted(client: httpx.Client, content_type: str) -> None:
    response = client.post(
        "/graphql", content=b'{"query": "{ __typename }"}', headers={"Content-Type": content_type}
    )
    assert response.status_code == 200 and response.json() == {"data": {"__typename": "Query"}}


def test_two_content_type_headers_are_refused(client: httpx.Client) -> None:
    response = client.post(
        "/graphql",
        content=b'{"query": "{ __typename }"}',
        headers=[("Content-Type", "application/json"), ("Content-Type", "text/plain")],
    )
    assert response.status_code == 415 and codes(response.json()) == ["UNSUPPORTED_MEDIA_TYPE"]


def test_an_unacceptable_accept_header_is_refused_with_406_in_json(
    client: httpx.Client, env: GatewayEnv
) -> None:
    response = client.post("/graphql", json={"query": "{ __typename }"}, headers={"Accept": "text/html"})
    assert response.status_code == 406 and response.headers["content-type"] == "application/json"
    assert codes(response.json()) == ["NOT_ACCEPTABLE"]
    assert events(env.settings.database_url)[-1]["errors"] == ["NOT_ACCEPTABLE"]


def test_another_method_is_refused_with_the_allowed_one_named(client: httpx.Client) -> None:
    response = client.put("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert codes(response.json()) == ["METHOD_NOT_ALLOWED"]

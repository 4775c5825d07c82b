"""Trusted documents over real HTTP: registered with the command line, run by id with variables in both
shapes clients send it, answering as the same text does; refused with their own codes (unknown,
required, malformed or mismatched id) and audited; the role's limits and the field policy still
decided per caller on the prepared document."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gateway.store.documents import document_id
from tests.audit_helpers import events
from tests.cli import run_cli
from tests.clock import Clock
from tests.gateway_fixtures import COMPANY, GatewayEnv, build_env
from tests.gql import Served, codes, serve

ORGANIZATION = """query Organization($code: String!) {
  organization(creditCode: $code) { name creditCode legalRepresentative { name idNumber } }
}
"""
ALIASED = """query Aliased($code: String!) {
  organization(creditCode: $code) { a: name b: name c: name d: name e: name f: name }
}
"""


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> GatewayEnv:
    return build_env(tmp_path, database_url)


@pytest.fixture
def served(env: GatewayEnv) -> Iterator[Served]:
    with serve(env, Clock(datetime.now(UTC))) as s:
        yield s


def documents_cli(env: GatewayEnv, *args: str) -> Any:
    return run_cli(
        "documents", *args, keyring=env.settings.keyring_path, database_url=env.settings.database_url
    )


def register(env: GatewayEnv, tmp_path: Path, text: str, name: str = "organization") -> str:
    path = tmp_path / f"{name}.graphql"
    path.write_text(text, encoding="utf-8")
    done = documents_cli(env, "add", str(path), "--owner", "913700009999991")
    assert done.returncode == 0, done.stderr
    return str(done.stdout.strip())


def post(s: Served, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = s.http.post("/graphql", json=body, headers=headers or {})
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_document_registered_by_the_cli_runs_by_id_with_variables_as_its_text_answers(
    env: GatewayEnv, served: Served, tmp_path: Path
) -> None:
    doc_id = register(env, tmp_path, ORGANIZATION)
    assert doc_id == document_id(ORGANIZATION)
    listed = documents_cli(env, "list")
    assert listed.returncode == 0 and doc_id in listed.stdout and "organization" in listed.stdout

    variables = {"code": COMPANY.credit_code}
    as_text = served.gql(ORGANIZATION, variables, served.partner())
    by_id = post(served, {"documentId": doc_id, "variables": variables}, served.partner())
    apollo = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": doc_id.removeprefix("sha256:")}}}
    by_hash = post(served, {**apollo, "variables": variables}, served.partner())
    both = post(
        served, {"query": ORGANIZATION, "documentId": doc_id, "variables": variables}, served.partner()
    )
    assert "errors" not in as_text and as_text["data"]["organization"]["name"] == COMPANY.name
    assert by_id == as_text == by_hash == both

    ran = [e for e in events(env.settings.database_url) if e.get("root_fields") == ["organization"]]
    assert [e.get("trusted_document") for e in ran] == [None, doc_id, doc_id, doc_id]
    # The event reads the registered text as if it had been sent: the same document hash and fields.
    assert len({e["document_sha256"] for e in ran}) == 1 and ran[1]["fields"] == ran[0]["fields"]
    assert ran[1]["operation_name"] == "Organization"
    changes = [e for e in events(env.settings.database_url) if e.get("change") == "document.added"]
    assert len(changes) == 1 and changes[0]["detail"]["document"] == doc_id


def test_an_unknown_document_id_is_refused_with_its_code_and_audited(env: GatewayEnv, served: Served) -> None:
    unknown = document_id("query { __typename }")
    body = post(served, {"documentId": unknown}, served.partner())
    assert "data" not in body and codes(body) == ["DOCUMENT_UNKNOWN"]
    [event] = [e for e in events(env.settings.database_url) if "DOCUMENT_UNKNOWN" in e["errors"]]
    assert event["outcome"] == "REFUSED" and event["role"] == "partner"
    assert "trusted_document" not in event  # an id nobody registered may hash any text: not kept


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"documentId": "abc"}, "DOCUMENT_ID_INVALID"),
        ({"documentId": "sha256:" + "A" * 64}, "DOCUMENT_ID_INVALID"),
        ({"documentId": "md5:" + "a" * 32}, "DOCUMENT_ID_INVALID"),
        ({"documentId": 12}, "DOCUMENT_ID_INVALID"),
        ({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}}, "DOCUMENT_ID_INVALID"),
        ({"extensions": {"persistedQuery": {"version": 2, "sha256Hash": "a" * 64}}}, "DOCUMENT_ID_INVALID"),
        ({"query": "{ __typename }", "documentId": document_id("{ __typename } ")}, "DOCUMENT_ID_INVALID"),
        (
            {"documentId": "sha256:" + "a" * 64, "extensions": {"persistedQuery": {"sha256Hash": "b" * 64}}},
            "DOCUMENT_ID_INVALID",
        ),
        ({"extensions": "persisted"}, "MALFORMED_REQUEST"),
        ({"variables": {}}, "MALFORMED_REQUEST"),
    ],
)
def test_a_malformed_or_mismatched_document_id_is_refused(
    env: GatewayEnv, served: Served, body: dict[str, Any], code: str
) -> None:
    answer = post(served, body, served.partner())
    assert "data" not in answer and codes(answer) == [code]
    assert code in events(env.settings.database_url)[-1]["errors"]


def test_a_public_caller_running_a_partners_document_still_meets_the_field_policy(
    env: GatewayEnv, served: Served, tmp_path: Path
) -> None:
    doc_id = register(env, tmp_path, ORGANIZATION)
    variables = {"code": COMPANY.credit_code}
    public = post(served, {"documentId": doc_id, "variables": variables})
    partner = post(served, {"documentId": doc_id, "variables": variables}, served.partner())
    assert codes(public) == ["FORBIDDEN_FIELD"]
    [error] = public["errors"]
    assert error["path"] == ["organization", "legalRepresentative", "idNumber"]
    assert public["data"]["organization"]["legalRepresentative"]["idNumber"] is None
    assert "errors" not in partner
    assert partner["data"]["organization"]["legalRepresentative"]["idNumber"] is not None
    # The public caller ran the same prepared document after the partner: still decided for it.
    again = post(served, {"documentId": doc_id, "variables": variables})
    assert again == public


def test_the_roles_limits_apply_to_a_trusted_document(
    env: GatewayEnv, served: Served, tmp_path: Path
) -> None:
    doc_id = register(env, tmp_path, ALIASED, "aliased")
    variables = {"code": COMPANY.credit_code}
    assert "errors" not in post(served, {"documentId": doc_id, "variables": variables}, served.partner())
    public = post(served, {"documentId": doc_id, "variables": variables})  # the public's limit: 5 aliases
    assert "data" not in public and codes(public) == ["TOO_MANY_ALIASES"]
    wrong_name = post(served, {"documentId": doc_id, "variables": variables, "operationName": "Other"})
    assert codes(wrong_name) == ["GRAPHQL_VALIDATION_FAILED"]


def test_a_role_that_requires_trusted_documents_is_refused_text(env: GatewayEnv, tmp_path: Path) -> None:
    doc_id = register(env, tmp_path, ORGANIZATION)
    variables = {"code": COMPANY.credit_code}
    with serve(env, Clock(datetime.now(UTC)), replace(env.settings, trusted_documents="require")) as s:
        refused = s.gql(ORGANIZATION, variables, s.partner())
        assert "data" not in refused and codes(refused) == ["DOCUMENT_REQUIRED"]
        assert "errors" not in post(s, {"documentId": doc_id, "variables": variables}, s.partner())
        assert "errors" not in post(s, {"query": ORGANIZATION, "documentId": doc_id, "variables": variables},
                                    s.partner())  # fmt: skip
        public = s.gql("query($code: String!) { organization(creditCode: $code) { name } }", variables)
        assert "errors" not in public  # the policy file requires documents of partners only
    refusal = [e for e in events(env.settings.database_url) if "DOCUMENT_REQUIRED" in e["errors"]]
    assert len(refusal) == 1 and refusal[0]["role"] == "partner" and refusal[0]["outcome"] == "REFUSED"


def test_with_trusted_documents_off_an_id_is_unknown(env: GatewayEnv, tmp_path: Path) -> None:
    doc_id = register(env, tmp_path, ORGANIZATION)
    with serve(env, Clock(datetime.now(UTC)), replace(env.settings, trusted_documents="off")) as s:
        body = post(s, {"documentId": doc_id, "variables": {"code": COMPANY.credit_code}}, s.partner())
    assert codes(body) == ["DOCUMENT_UNKNOWN"]


def test_a_removed_document_is_unknown_and_its_removal_audited(env: GatewayEnv, tmp_path: Path) -> None:
    doc_id = register(env, tmp_path, ORGANIZATION)
    again = register(env, tmp_path, ORGANIZATION)  # the same text again: nothing changes
    assert again == doc_id
    removed = documents_cli(env, "remove", doc_id)
    assert removed.returncode == 0, removed.stderr
    assert documents_cli(env, "remove", doc_id).returncode == 1  # no longer there
    assert doc_id not in documents_cli(env, "list").stdout
    with serve(env, Clock(datetime.now(UTC))) as s:
        body = post(s, {"documentId": doc_id, "variables": {"code": COMPANY.credit_code}}, s.partner())
    assert codes(body) == ["DOCUMENT_UNKNOWN"]
    kinds = [e.get("change") for e in events(env.settings.database_url) if e.get("change")]
    assert kinds == ["document.added", "document.removed"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("query { organization(creditCode: ) { name } }", "does not parse"),
        ("query { organisation { name } }", "does not fit the schema"),
        ('query { person(idNumber: "110101199003074514") { name } }', "identity value"),
    ],
)
def test_documents_add_refuses_what_the_gateway_would_not_run(
    env: GatewayEnv, tmp_path: Path, text: str, reason: str
) -> None:
    path = tmp_path / "bad.graphql"
    path.write_text(text, encoding="utf-8")
    done = documents_cli(env, "add", str(path))
    assert done.returncode == 1 and "DOCUMENT_REFUSED" in done.stderr and reason in done.stderr
    assert documents_cli(env, "list").stdout.strip() == ""

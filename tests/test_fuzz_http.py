"""A small, seeded fuzz loop over real HTTP: random mutations of valid operations and their variables,
sent by several roles. Whatever comes in, the answer is below 500, names a stable code for every error,
is never INTERNAL_ERROR and never shows a traceback."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.access.tokens import Role
from gateway.api.app import create_app
from tests.api_client import grant, individual, partner
from tests.gateway_fixtures import BANK_CODE, COMPANY, MARKET, ZHANG, GatewayEnv, build_env
from tests.server import running

SEED = 4  # at 1,000 rounds this seed reaches a lone surrogate echoed in an error message
ROUNDS = 1_000
CODE = re.compile(r"[A-Z][A-Z_]+")
JSON_BODY = {"Content-Type": "application/json"}

OPERATIONS: list[tuple[str, str, dict[str, Any]]] = [
    ("public", "query($code: String!) { organization(creditCode: $code) { name creditCode records { id content } "
     "listEntries { reason records { documentNumber } } legalRepresentative { name idNumber } } }",
     {"code": COMPANY.credit_code}),
    ("partner", "query($id: String!, $consent: String, $purpose: ConsentPurpose!) { person(idNumber: $id, "
     "consent: $consent, purpose: $purpose) { name phone records { documentNumber } } }",
     {"id": ZHANG.id_number, "consent": "CONSENT", "purpose": "FINANCIAL_SERVICE"}),
    ("individual", "{ me { name idNumber linkedRecords { id } } consents { id status uses } }", {}),
    ("individual", "mutation($input: GrantConsentInput!) { grantConsent(input: $input) { token consent { id } } }",
     {"input": {"grantee": BANK_CODE, "purpose": "EMPLOYMENT", "scopes": ["IDENTITY"], "maxUses": 2}}),
    ("individual", "mutation($id: ID!) { pauseConsent(id: $id) { status } }", {"id": "0" * 32}),
    ("provider", "mutation($r: [RecordSubmission!]!) { submitRecords(records: $r) { created rejected { field } } }",
     {"r": [{"subjectCreditCode": COMPANY.credit_code, "category": "ADMINISTRATIVE_PENALTY",
             "documentNumber": "F-1", "authorityCode": MARKET.credit_code, "decisionDate": "2026-03-05",
             "content": "未按规定公示年报"}]}),
]  # fmt: skip

ODD_TEXT = ["{", "}", "(", ")", "[", "]", ":", "$", "!", "@", "...", '"', "\\", "\n", "\x00", "#", "张", "\ud800",
            "__schema", "__typename", "fragment F on Query { ...F }", "a:", "$x", "0", "-1e999", "null"]  # fmt: skip


def odd_value(rng: random.Random, depth: int = 0) -> Any:
    choice = rng.randrange(12)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([0, -1, 2**31, 2**63, 10**30, -(10**30)])
    if choice == 2:
        return rng.choice([1.5, -0.0, 1e308, float("inf"), float("nan")])
    if choice == 3:
        return rng.choice([True, False])
    if choice == 4:
        return "".join(rng.choice(ODD_TEXT) for _ in range(rng.randrange(1, 30)))
    if choice == 5:
        return "9" * rng.choice([17, 18, 19, 5_000])
    if choice == 6:
        return rng.choice(["FINANCIAL_SERVICE", "financial_service", "IDENTITY", "EVERYTHING", ""])
    if choice == 7 and depth < 4:
        return [odd_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    if choice == 8 and depth < 4:
        return {rng.choice(["grantee", "scopes", "x", ""]): odd_value(rng, depth + 1) for _ in range(3)}
    if choice == 9:
        return ZHANG.id_number[:-1] + rng.choice("0123456789X")
    if choice == 10:
        return COMPANY.credit_code.lower()
    return "\x00" * rng.randrange(1, 5)


def mutate_text(rng: random.Random, text: str) -> str:
    for _ in range(rng.randrange(1, 4)):
        i, j = sorted(rng.randrange(len(text) + 1) for _ in range(2))
        op = rng.randrange(4)
        if op == 0:
            text = text[:i] + text[j:]
        elif op == 1:
            text = text[:i] + rng.choice(ODD_TEXT) + text[i:]
        elif op == 2:
            text = text[:j] + text[i:j] + text[j:]
        else:
            text = text[:i] + text[i:j][::-1] + text[j:]
    return text


def mutate_variables(rng: random.Random, variables: dict[str, Any]) -> dict[str, Any]:
    out = json.loads(json.dumps(variables))
    keys = [*out, "extra"]
    for _ in range(rng.randrange(1, 3)):
        out[rng.choice(keys)] = odd_value(rng)
    return out


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> GatewayEnv:
    return build_env(tmp_path, database_url, rate_per_second=0.0)


@pytest.fixture
def client(env: GatewayEnv) -> Iterator[httpx.Client]:
    with running(create_app(env.settings)) as base, httpx.Client(base_url=base, timeout=30) as http:
        yield http


def test_mutated_operations_never_get_a_server_error(client: httpx.Client, env: GatewayEnv) -> None:
    _, consent = grant(client, env, ["IDENTITY", "RECORDS"], uses=1_000)
    headers = {
        "public": {},
        "partner": partner(env),
        "individual": individual(env),
        "provider": env.headers(Role.PROVIDER, org_code=MARKET.credit_code),
    }
    rng = random.Random(SEED)
    seen: set[str] = set()
    for round_ in range(ROUNDS):
        role, query, variables = rng.choice(OPERATIONS)
        variables = {k: (consent if v == "CONSENT" else v) for k, v in variables.items()}
        kind = rng.randrange(3)
        if kind != 1:
            query = mutate_text(rng, query)
        if kind != 0:
            variables = mutate_variables(rng, variables)
        payload = json.dumps({"query": query, "variables": variables})  # NaN, Infinity as Python writes them
        response = client.post("/graphql", content=payload, headers={**JSON_BODY, **headers[role]})
        context = f"round {round_}: {payload[:150]!r}…{payload[-150:]!r} -> {response.status_code} {response.text[:300]!r}"
        assert response.status_code < 500, context
        assert "Traceback" not in response.text and 'File "' not in response.text, context
        body = response.json()
        for error in body.get("errors", []):
            code = error["extensions"]["code"]
            assert CODE.fullmatch(code) and code != "INTERNAL_ERROR", context
            seen.add(code)
    # The loop reached the parser, validation, input coercion and the resolvers' own checks.
    assert {"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"} <= seen

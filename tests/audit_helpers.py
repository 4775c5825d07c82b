"""Reading the audit log of a test database, raw, and talking to a real gateway about it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import Connection, text

from gateway.access.tokens import Role
from gateway.domain import AgencyKind
from gateway.store import db
from tests.gateway_fixtures import BANK_CODE, GatewayEnv

PERSON_QUERY = """
query($id: String!, $consent: String, $purpose: ConsentPurpose!) {
  person(idNumber: $id, consent: $consent, purpose: $purpose) { name idNumber phone records { documentNumber } }
}"""
GRANT = """
mutation($grantee: String!, $scopes: [ConsentScope!]!, $uses: Int!) {
  grantConsent(input: {grantee: $grantee, purpose: FINANCIAL_SERVICE, scopes: $scopes, maxUses: $uses}) {
    token consent { id }
  }
}"""


@contextmanager
def connection(url: str) -> Iterator[Connection]:
    engine = db.make_engine(url)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def events(url: str) -> list[dict[str, Any]]:
    """Every stored event, parsed from its bytes, in sequence order."""
    with connection(url) as conn:
        rows = conn.execute(text("SELECT seq, body FROM audit_events ORDER BY seq")).all()
    return [json.loads(bytes(r.body)) for r in rows]


def event_count(url: str) -> int:
    with connection(url) as conn:
        return int(conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one())


def partner(env: GatewayEnv, org: str = BANK_CODE, kind: AgencyKind = AgencyKind.FINANCE) -> dict[str, str]:
    return env.headers(Role.PARTNER, org_code=org, agency_kind=kind)


def individual(env: GatewayEnv, who: str = "zhang") -> dict[str, str]:
    return env.headers(Role.INDIVIDUAL, person_id=env.ids[who])


def auditor(env: GatewayEnv) -> dict[str, str]:
    return env.headers(Role.AUDITOR)


def post(
    client: httpx.Client,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {})


def grant(
    client: httpx.Client, env: GatewayEnv, scopes: list[str], uses: int = 5, who: str = "zhang"
) -> tuple[str, str]:
    """A consent of ``who`` for the bank: (token, consent id)."""
    body = post(
        client, GRANT, {"grantee": BANK_CODE, "scopes": scopes, "uses": uses}, individual(env, who)
    ).json()
    assert "errors" not in body, body
    return body["data"]["grantConsent"]["token"], body["data"]["grantConsent"]["consent"]["id"]


def sequences(response: httpx.Response) -> list[int]:
    return [int(s) for s in response.headers["X-Audit-Sequence"].split(",")]

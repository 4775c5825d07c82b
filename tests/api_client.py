"""Small helpers for tests that talk to a running gateway over HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from gateway.access.tokens import Role
from gateway.domain import AgencyKind
from tests.gateway_fixtures import BANK_CODE, GatewayEnv

GRANT = """
mutation($grantee: String!, $purpose: ConsentPurpose!, $scopes: [ConsentScope!]!, $uses: Int!, $ttl: Int!) {
  grantConsent(
    input: {grantee: $grantee, purpose: $purpose, scopes: $scopes, maxUses: $uses, ttlSeconds: $ttl}
  ) {
    token consent { id status uses maxUses scopes }
  }
}"""


def post(client: httpx.Client, query: str, variables: dict[str, Any] | None = None,
         headers: dict[str, str] | None = None) -> httpx.Response:  # fmt: skip
    return client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {})


def gql(
    client: httpx.Client,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The body of a GraphQL answer that must have come back with 200."""
    response = post(client, query, variables, headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


def partner(env: GatewayEnv, kind: AgencyKind = AgencyKind.FINANCE, org: str = BANK_CODE) -> dict[str, str]:
    return env.headers(Role.PARTNER, org_code=org, agency_kind=kind)


def individual(env: GatewayEnv, who: str = "zhang") -> dict[str, str]:
    return env.headers(Role.INDIVIDUAL, person_id=env.ids[who])


def grant(
    client: httpx.Client,
    env: GatewayEnv,
    scopes: list[str],
    *,
    uses: int = 5,
    who: str = "zhang",
    purpose: str = "FINANCIAL_SERVICE",
    grantee: str = BANK_CODE,
    ttl: int = 30 * 24 * 3600,
) -> tuple[str, str]:
    """Grant a consent as the individual ``who``; returns (consent id, consent token)."""
    variables = {"grantee": grantee, "purpose": purpose, "scopes": scopes, "uses": uses, "ttl": ttl}
    body = gql(client, GRANT, variables, individual(env, who))
    assert "errors" not in body, body
    payload = body["data"]["grantConsent"]
    return payload["consent"]["id"], payload["token"]

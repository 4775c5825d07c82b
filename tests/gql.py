"""GraphQL over real HTTP for the lifecycle tests: a served gateway with a movable clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from gateway.access.tokens import Role
from gateway.domain import AgencyKind
from gateway.settings import Settings
from tests.clock import Clock, app_with_clock
from tests.gateway_fixtures import BANK_CODE, GatewayEnv
from tests.server import running


@dataclass
class Served:
    env: GatewayEnv
    clock: Clock
    http: httpx.Client

    def gql(
        self, query: str, variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        response = self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {}
        )
        assert response.status_code == 200, response.text
        return response.json()

    def data(
        self, query: str, variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """The data of an answer that must carry no error at all."""
        body = self.gql(query, variables, headers)
        assert "errors" not in body, body["errors"]
        return body["data"]

    # --- callers ---------------------------------------------------------------------------------

    def partner(self, org: str = BANK_CODE, kind: AgencyKind = AgencyKind.FINANCE) -> dict[str, str]:
        return self.env.headers(Role.PARTNER, org_code=org, agency_kind=kind)

    def individual(self, who: str = "zhang") -> dict[str, str]:
        return self.env.headers(Role.INDIVIDUAL, person_id=self.env.ids[who])

    def provider(self, org: str) -> dict[str, str]:
        return self.env.headers(Role.PROVIDER, org_code=org)

    def admin(self) -> dict[str, str]:
        return self.env.headers(Role.ADMIN, subject="admin-1")

    def auditor(self) -> dict[str, str]:
        return self.env.headers(Role.AUDITOR, subject="auditor-1")


@contextmanager
def serve(env: GatewayEnv, clock: Clock, settings: Settings | None = None) -> Iterator[Served]:
    with running(app_with_clock(settings or env.settings, clock)) as base:
        with httpx.Client(base_url=base, timeout=10) as http:
            yield Served(env, clock, http)


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]

"""The three gateways the request-path benchmark compares, built over the same schema and data.

- ``full``: the gateway as served (``gateway.api.app.create_app``): body and JSON checks, token
  verification, rate bucket, document limits, the consent token and its counted use, the Casbin field
  decisions, decryption, masking, and the audit event built and group-committed before the response.
- ``noaudit``: ``full`` with the audit switched off: a request auditor that builds no event document
  (no redaction, no pseudonyms) and an event writer that discards what it is handed
  (``discarding.DiscardingCommitter``). Everything else is ``full``.
- ``bare``: Strawberry's own ASGI view (``strawberry.asgi.GraphQL``) running the same schema and
  resolvers over the same database, with authentication, policy, consent and audit switched off: the
  caller is pre-authorised (``X-Bench-Caller`` names the role, no token is read), the field policy
  answers "whole" for every field (the guard extension still wraps each field, but asks nothing of
  Casbin and masks nothing), and the consented lookup finds the person by blind index without
  verifying a consent token or counting a use. Row-level visibility stays: it is part of the
  resolvers, so the bare path returns the same rows to the same role. No limits, no rate bucket.

None of this is reachable from the gateway's own command line or settings: the gateway has no way to
turn its audit log or its privacy checks off (docs/audit.md). These factories live here, beside the
benchmark, and uvicorn imports them with ``--app-dir scripts/bench``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from discarding import DiscardingCommitter
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from gateway.access.admission import Admission
from gateway.access.consent import scopes_of
from gateway.access.policy import Decision, Effect
from gateway.access.tokens import PUBLIC_CALLER, Caller, Role
from gateway.api import operations
from gateway.api.app import Gateway, create_app
from gateway.api.auditing import RequestAuditor, Trail
from gateway.api.context import RequestContext, Services
from gateway.api.errors import format_error
from gateway.audit.events import RequestOutcome
from gateway.domain import AgencyKind, ConsentScope
from gateway.errors import PersonUnavailable
from gateway.identifiers import normalize_id_number
from gateway.settings import Settings
from gateway.store import reads
from gateway.store.models import Consent

VARIANTS = ("bare", "full", "noaudit")
BANK = "91370000999999100Q"  # the partner agency (a bank) whose token and consents the benchmark uses
CALLER_HEADER = "x-bench-caller"


def bench_callers(partner_org: str = BANK) -> dict[str, Caller]:
    """The pre-authorised callers of the bare path, by the role named in ``X-Bench-Caller``."""
    partner = Caller(id=partner_org, role=Role.PARTNER, org_code=partner_org, agency_kind=AgencyKind.FINANCE)
    return {"partner": partner, "public": PUBLIC_CALLER}


class AllowAllPolicy:
    """Stands in for ``FieldPolicy`` on the bare path: every field whole, Casbin never asked."""

    last_error = None
    _WHOLE = Decision(Effect.WHOLE, "bench-allow-all", "the bare benchmark path decides nothing")

    def decide(self, subjects: frozenset[str], field: str) -> Decision:
        return self._WHOLE

    def reload_if_changed(self) -> bool:
        return False


ALLOW_ALL = AllowAllPolicy()
_ALL_SCOPES = ",".join(scope.value for scope in ConsentScope)
_admitted_person = operations.admitted_person


def _person_without_consent(ctx: RequestContext, *, id_number: str, field: str, **_: Any) -> Admission:
    """The bare path's consented lookup: the same blind-index read, no token, no counted use."""
    person_id = reads.find_person_id(
        ctx.session, ctx.services.cipher, normalize_id_number(id_number, field=field)
    )
    if person_id is None:
        raise PersonUnavailable("no such person")
    ctx.subjects_touched.add(person_id)
    consent_row = Consent(scopes=_ALL_SCOPES)
    return Admission(person_id=person_id, scopes=scopes_of(consent_row), consent=consent_row, lawful=None)


def _admitted_or_bare(ctx: RequestContext, **arguments: Any) -> Admission:
    """Installed in place of ``operations.admitted_person`` in the benchmark's processes only: the
    bare path (recognised by its allow-all policy) skips consent; every other caller gets the real one."""
    lookup = _person_without_consent if ctx.services.policy is ALLOW_ALL else _admitted_person
    return lookup(ctx, **arguments)


operations.admitted_person = _admitted_or_bare  # type: ignore[assignment]


class NullAuditor(RequestAuditor):
    """Builds no audit event: the ``noaudit`` variant skips redaction and pseudonyms as well as the write."""

    def request_event(
        self, trail: Trail, code: str | None, status: int, outcome: RequestOutcome = RequestOutcome.REFUSED
    ) -> dict[str, Any]:
        return {}

    def operation(self, trail: Trail, **_: Any) -> dict[str, Any]:  # type: ignore[override]
        return {}


class BareGraphQL(GraphQL[RequestContext, None]):
    """Strawberry's stock ASGI view with a pre-authorised context; one session per request."""

    def __init__(self, gateway: Gateway, services: Services, callers: Mapping[str, Caller]) -> None:
        super().__init__(gateway.schema, graphql_ide=None, allow_queries_via_get=False)
        self.gateway = gateway
        self.services = services
        self.callers = callers

    async def get_context(self, request: Any, response: Any) -> RequestContext:
        caller = self.callers[request.headers.get(CALLER_HEADER, "public")]
        session = self.gateway.sessions()
        request.state.bench_session = session
        now: datetime = self.services.clock()
        return RequestContext(caller=caller, session=session, services=self.services, now=now)

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        session: Session = request.state.bench_session
        session.close()
        body: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            body["errors"] = [format_error(e, dev_mode=False) for e in result.errors]
        return body


async def _healthz(_request: Request) -> Response:
    return JSONResponse({"status": "alive"})


def bare_app(settings: Settings, partner_org: str = BANK) -> Starlette:
    """The bare path under the same Starlette routing as the gateway (``/graphql``, ``/healthz``)."""
    gateway = Gateway.from_settings(
        settings
    )  # its engine, schema and services; its audit writer never starts
    services = replace(gateway.services, policy=ALLOW_ALL)  # type: ignore[arg-type]
    view = BareGraphQL(gateway, services, bench_callers(partner_org))

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        gateway.dispose()

    app = Starlette(
        lifespan=lifespan, routes=[Route("/graphql", view, methods=["POST"]), Route("/healthz", _healthz)]
    )
    app.state.gateway = gateway
    return app


def noaudit_app(settings: Settings) -> Starlette:
    app = create_app(settings)
    gateway: Gateway = app.state.gateway
    gateway.auditor = NullAuditor(gateway.auditor.pseudonymize, gateway.auditor.clock)
    gateway.committer = DiscardingCommitter()  # type: ignore[assignment]
    return app


def variant_app(variant: str, settings: Settings, partner_org: str = BANK) -> Starlette:
    if variant == "bare":
        return bare_app(settings, partner_org)
    if variant == "noaudit":
        return noaudit_app(settings)
    if variant == "full":
        return create_app(settings)
    raise ValueError(f"unknown variant {variant!r}; one of {', '.join(VARIANTS)}")


def close_app(app: Starlette) -> None:
    """What the lifespan's shutdown does, for apps driven in process (no lifespan events there)."""
    gateway: Gateway = app.state.gateway
    gateway.committer.close()
    gateway.dispose()


async def aclose_app(app: Starlette) -> None:
    await run_in_threadpool(close_app, app)


def app_from_env() -> Starlette:
    """uvicorn's factory: ``BENCH_VARIANT`` picks the variant, ``GATEWAY_*`` the settings."""
    return variant_app(
        os.environ["BENCH_VARIANT"], Settings.from_env(), os.environ.get("BENCH_PARTNER_ORG", BANK)
    )


__all__: Sequence[str] = ("ALLOW_ALL", "BANK", "CALLER_HEADER", "VARIANTS", "app_from_env", "variant_app")

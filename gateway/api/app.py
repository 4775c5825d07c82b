"""The Starlette application: ``/graphql``, ``/healthz``, ``/readyz``.

The GraphQL endpoint is ours rather than Strawberry's stock ASGI view so that every refusal —
oversized or malformed body, bad token, rate limit, batch cap, document limits — has its own stable
code and HTTP status, and so that execution (synchronous resolvers on a synchronous SQLAlchemy
session) runs in the thread pool and never blocks the event loop.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import strawberry
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from strawberry.http.ides import get_graphql_ide_html

from gateway import db
from gateway.api.context import RequestContext, Services
from gateway.api.errors import error_body, format_error
from gateway.api.limits import DocumentLimits, check
from gateway.api.ratelimit import RateLimited, RateLimiter
from gateway.api.schema import build_schema
from gateway.authentication import TokenVerifier
from gateway.clock import utcnow
from gateway.consent_tokens import ConsentTokens
from gateway.crypto import FieldCipher
from gateway.errors import GatewayError
from gateway.keyring import load_keyring
from gateway.lifecycle.rules import LifecycleRules
from gateway.policy import FieldPolicy
from gateway.settings import Settings
from gateway.tokens import Caller, Role
from gateway.workdays import WorkCalendar

log = logging.getLogger("gateway.api")

DEFAULT_LIMITS = DocumentLimits()


def parse_limits(spec: str) -> dict[str, DocumentLimits]:
    limits: dict[str, DocumentLimits] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        role, _, numbers = item.partition("=")
        depth, aliases, tokens = (int(n) for n in numbers.split(":"))
        limits[role.strip().lower()] = DocumentLimits(depth, aliases, tokens)
    return limits


@dataclass(slots=True)
class Gateway:
    """Everything one worker holds for its lifetime."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    services: Services
    verifier: TokenVerifier
    schema: strawberry.Schema
    limits: dict[str, DocumentLimits]
    rate: RateLimiter

    @classmethod
    def from_settings(cls, settings: Settings) -> Gateway:
        keyring = load_keyring(settings.keyring_path)
        cipher = FieldCipher(keyring)
        policy = FieldPolicy.load(settings.policy_dir, known_fields=known_fields())
        engine = db.make_engine(settings.database_url)
        services = Services(
            settings=settings,
            cipher=cipher,
            policy=policy,
            consent_tokens=ConsentTokens.from_keyring(keyring),
            calendar=WorkCalendar.load(settings.holidays_path),
            clock=utcnow,
            lifecycle=LifecycleRules.load(settings.policy_dir),
        )
        return cls(
            settings=settings,
            engine=engine,
            sessions=db.session_factory(engine),
            services=services,
            verifier=TokenVerifier.from_settings(settings, keyring),
            schema=build_schema(dev_mode=settings.dev_mode),
            limits=parse_limits(settings.limits),
            rate=RateLimiter(per_second=settings.rate_per_second, burst=settings.rate_burst),
        )

    # --- one operation ----------------------------------------------------------------------------

    def execute(self, operation: Any, caller: Caller) -> dict[str, Any]:
        if not isinstance(operation, dict):
            return error_body("MALFORMED_REQUEST", "each operation is a JSON object with a 'query' string")
        query = operation.get("query")
        variables = operation.get("variables")
        name = operation.get("operationName")
        if not isinstance(query, str) or not (variables is None or isinstance(variables, dict)):
            return error_body("MALFORMED_REQUEST", "'query' must be a string and 'variables' an object")
        if not (name is None or isinstance(name, str)):
            return error_body("MALFORMED_REQUEST", "'operationName' must be a string")
        limits = self.limits.get(caller.role.value.lower(), DEFAULT_LIMITS)
        try:
            check(query, limits, allow_introspection=self.settings.dev_mode, operation_name=name)
        except GatewayError as exc:
            return error_body(exc.code, exc.message)
        self.services.policy.reload_if_changed()
        with self.sessions() as session:
            ctx = RequestContext(
                caller=caller, session=session, services=self.services, now=self.services.clock()
            )
            try:
                result = self.schema.execute_sync(query, variables, context_value=ctx, operation_name=name)
                session.commit()
            except Exception:
                session.rollback()
                log.exception("operation failed")
                return error_body("INTERNAL_ERROR", "internal error")
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [format_error(e, dev_mode=self.settings.dev_mode) for e in result.errors]
        return body

    def execute_all(self, operations: Sequence[Any], caller: Caller) -> list[dict[str, Any]]:
        return [self.execute(op, caller) for op in operations]

    # --- HTTP -------------------------------------------------------------------------------------

    async def graphql(self, request: Request) -> Response:
        if request.method == "GET":
            if self.settings.dev_mode:
                return HTMLResponse(get_graphql_ide_html(graphql_ide="graphiql"))
            return JSONResponse(
                error_body("METHOD_NOT_ALLOWED", "use POST with a JSON body"), status_code=405
            )
        body = await _read_limited(request, self.settings.max_request_bytes)
        if body is None:
            return JSONResponse(
                error_body("REQUEST_TOO_LARGE", f"the body exceeds {self.settings.max_request_bytes} bytes"),
                status_code=413,
            )
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):  # nesting past the parser's depth
            return JSONResponse(
                error_body("MALFORMED_REQUEST", "the body is not valid JSON"), status_code=400
            )
        if not isinstance(payload, dict | list):
            return JSONResponse(
                error_body("MALFORMED_REQUEST", "the body is a JSON object, or a list of them for a batch"),
                status_code=400,
            )
        try:
            caller = self.verifier.authenticate(request.headers.get("authorization"))
        except GatewayError as exc:
            return JSONResponse(error_body(exc.code, exc.message), status_code=401)
        try:
            client = request.client.host if request.client else "unknown"
            self.rate.take(caller.id if caller.role is not Role.PUBLIC else f"ip:{client}")
        except RateLimited as exc:
            return JSONResponse(
                error_body(exc.code, exc.message),
                status_code=429,
                headers={"Retry-After": str(exc.retry_after)},
            )
        if isinstance(payload, list):
            if not payload or len(payload) > self.settings.max_batch:
                return JSONResponse(
                    error_body(
                        "TOO_MANY_OPERATIONS", f"a batch holds 1 to {self.settings.max_batch} operations"
                    ),
                    status_code=400,
                )
            return JSONResponse(await run_in_threadpool(self.execute_all, payload, caller))
        return JSONResponse(await run_in_threadpool(self.execute, payload, caller))

    async def healthz(self, _request: Request) -> Response:
        return JSONResponse({"status": "alive"})

    async def readyz(self, _request: Request) -> Response:
        problems = await run_in_threadpool(self.readiness_problems)
        if problems:
            return JSONResponse({"status": "not ready", "problems": problems}, status_code=503)
        return JSONResponse({"status": "ready"})

    def readiness_problems(self) -> list[str]:
        problems: list[str] = []
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:  # the reason goes to the log, not to the probe's caller
            log.exception("database unreachable")
            problems.append("database unreachable")
        if self.services.policy.last_error is not None:
            problems.append("policy reload failed; serving the last valid policy")
        return problems


async def _read_limited(request: Request, limit: int) -> bytes | None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def known_fields() -> frozenset[str]:
    """Every "Type.field" of the guarded types, read off the schema, for policy validation."""
    schema = build_schema()
    names = ("Person", "Organization", "CreditRecord", "ListEntry")
    return frozenset(f"{t}.{f}" for t in names for f in schema._schema.type_map[t].fields)  # type: ignore[attr-defined]


def create_app(settings: Settings | None = None) -> Starlette:
    gateway = Gateway.from_settings(settings or Settings.from_env())

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        gateway.engine.dispose()

    app = Starlette(
        lifespan=lifespan,
        routes=[
            Route("/graphql", gateway.graphql, methods=["GET", "POST"]),
            Route("/healthz", gateway.healthz),
            Route("/readyz", gateway.readyz),
        ],
    )
    app.state.gateway = gateway
    return app

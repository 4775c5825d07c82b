"""The Starlette application: ``/graphql``, ``/healthz``, ``/readyz``.

The GraphQL endpoint is ours rather than Strawberry's stock ASGI view so that every refusal —
oversized or malformed body, bad token, rate limit, batch cap, document limits — has its own stable
code and HTTP status, and so that execution (synchronous resolvers on a synchronous SQLAlchemy
session) runs in the thread pool and never blocks the event loop.

Every request leaves exactly one audit event per operation (one for a refusal) before its response
does; when the event cannot be committed the response is AUDIT_UNAVAILABLE (503) with no data, and
``/readyz`` says not ready until a write works again (docs/audit.md, "Fail closed").
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
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

from gateway.access.authentication import TokenVerifier
from gateway.access.consent_tokens import ConsentTokens
from gateway.access.policy import FieldPolicy
from gateway.access.tokens import Caller, Role
from gateway.api.auditing import RequestAuditor, Trail
from gateway.api.context import RequestContext, Services
from gateway.api.errors import error_body, format_error
from gateway.api.limits import DocumentLimits, check
from gateway.api.pages import routes as page_routes
from gateway.api.ratelimit import RateLimited, RateLimiter
from gateway.api.schema import build_schema
from gateway.audit.committer import AuditUnavailable, GroupCommitter
from gateway.audit.events import Outcome
from gateway.audit.heads import HeadSigner
from gateway.audit.pseudonyms import Pseudonyms
from gateway.audit.store import AuditLog, HeadSchedule
from gateway.clock import utcnow
from gateway.errors import GatewayError
from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import load_keyring
from gateway.lifecycle.rules.loading import LifecycleRules
from gateway.settings import Settings
from gateway.store import db
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
    engine: Engine  # the requests' units of work: durable with their audit event (db.make_engine)
    audit_engine: Engine  # the audit writer's: every commit durable
    sessions: sessionmaker[Session]
    services: Services
    verifier: TokenVerifier
    schema: strawberry.Schema
    limits: dict[str, DocumentLimits]
    rate: RateLimiter
    auditor: RequestAuditor
    committer: GroupCommitter
    schema_revision: str = field(default_factory=db.head_revision)  # what /readyz expects of the database

    @classmethod
    def from_settings(cls, settings: Settings) -> Gateway:
        keyring = load_keyring(settings.keyring_path)
        cipher = FieldCipher(keyring)
        policy = FieldPolicy.load(settings.policy_dir, known_fields=known_fields())
        engine = db.make_engine(settings.database_url, flushed_later=True)
        audit_engine = db.make_engine(settings.database_url)
        audit = settings.audit
        audit_log = AuditLog(
            HeadSigner(keyring),
            HeadSchedule(every_events=audit.head_every_events, every_seconds=audit.head_every_seconds),
            clock=utcnow,
        )
        pseudonyms = Pseudonyms(cipher, keyring.index_key)
        services = Services(
            settings=settings,
            cipher=cipher,
            policy=policy,
            consent_tokens=ConsentTokens.from_keyring(keyring),
            calendar=WorkCalendar.load(settings.holidays_path),
            clock=utcnow,
            lifecycle=LifecycleRules.load(settings.policy_dir),
            pseudonyms=pseudonyms,
            audit_keys=audit_log.signer.public_keys,
        )
        return cls(
            settings=settings,
            engine=engine,
            audit_engine=audit_engine,
            sessions=db.session_factory(engine),
            services=services,
            verifier=TokenVerifier.from_settings(settings, keyring),
            schema=build_schema(dev_mode=settings.dev_mode),
            limits=parse_limits(settings.limits),
            rate=RateLimiter(per_second=settings.rate_per_second, burst=settings.rate_burst),
            auditor=RequestAuditor(pseudonyms, clock=utcnow),
            committer=GroupCommitter(
                audit_engine,
                audit_log,
                window=audit.group_window_ms / 1000,
                max_events=audit.group_max_events,
                idle_tick=min(1.0, audit.head_every_seconds),
            ),
        )

    # --- one operation ----------------------------------------------------------------------------

    def execute(
        self, operation: Any, caller: Caller, trail: Trail | None = None, index: int = 0, size: int = 1
    ) -> dict[str, Any]:
        """Run one operation and note its audit event on ``trail`` (a new trail when none is given)."""
        trail = trail or self.auditor.start(None)
        trail.caller = caller
        ctx, body = self._run(operation, caller)
        trail.documents.append(
            self.auditor.operation(trail, index=index, size=size, operation=operation, ctx=ctx, body=body)
        )
        return body

    def _run(self, operation: Any, caller: Caller) -> tuple[RequestContext | None, dict[str, Any]]:
        if not isinstance(operation, dict):
            return None, error_body(
                "MALFORMED_REQUEST", "each operation is a JSON object with a 'query' string"
            )
        query = operation.get("query")
        variables = operation.get("variables")
        name = operation.get("operationName")
        if not isinstance(query, str) or not (variables is None or isinstance(variables, dict)):
            return None, error_body("MALFORMED_REQUEST", "'query' must be a string and 'variables' an object")
        if not (name is None or isinstance(name, str)):
            return None, error_body("MALFORMED_REQUEST", "'operationName' must be a string")
        limits = self.limits.get(caller.role.value.lower(), DEFAULT_LIMITS)
        try:
            check(query, limits, allow_introspection=self.settings.dev_mode, operation_name=name)
        except GatewayError as exc:
            return None, error_body(exc.code, exc.message)
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
                return ctx, error_body("INTERNAL_ERROR", "internal error")
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [format_error(e, dev_mode=self.settings.dev_mode) for e in result.errors]
        return ctx, body

    def execute_all(
        self, operations: Sequence[Any], caller: Caller, trail: Trail | None = None
    ) -> list[dict[str, Any]]:
        trail = trail or self.auditor.start(None)
        return [self.execute(op, caller, trail, i, len(operations)) for i, op in enumerate(operations)]

    # --- HTTP -------------------------------------------------------------------------------------

    async def graphql(self, request: Request) -> Response:
        trail = self.auditor.start(request.client.host if request.client else None)
        if not self.committer.healthy and not await run_in_threadpool(self.committer.probe):
            return _audit_unavailable()  # refused before running: nothing can be recorded now
        response = await self._respond(request, trail)
        try:
            seqs = await asyncio.wait_for(
                asyncio.wrap_future(self.committer.submit(trail.documents)),
                self.settings.audit.write_timeout_seconds,
            )
        except (AuditUnavailable, TimeoutError):
            self.committer.healthy = False
            return _audit_unavailable()
        response.headers["X-Audit-Sequence"] = ",".join(map(str, seqs))
        return response

    def _refuse(
        self, trail: Trail, code: str, message: str, status: int, headers: dict[str, str] | None = None
    ) -> Response:
        trail.documents.append(self.auditor.request_event(trail, code, status))
        return JSONResponse(error_body(code, message), status_code=status, headers=headers)

    async def _respond(self, request: Request, trail: Trail) -> Response:
        """The response to a request; every way out notes its audit event(s) on ``trail``."""
        if request.method == "GET" and self.settings.dev_mode:
            trail.documents.append(self.auditor.request_event(trail, None, 200, Outcome.ANSWERED))
            return HTMLResponse(get_graphql_ide_html(graphql_ide="graphiql"))
        if request.method != "POST":
            return self._refuse(trail, "METHOD_NOT_ALLOWED", "use POST with a JSON body", 405)
        body = await _read_limited(request, self.settings.max_request_bytes)
        if body is None:
            return self._refuse(
                trail, "REQUEST_TOO_LARGE", f"the body exceeds {self.settings.max_request_bytes} bytes", 413
            )
        try:
            payload = json.loads(body)
            # "\ud800" escapes decode to lone surrogates, which are not text: echoed in an error message
            # they would fail the response's UTF-8 encoding, and no database column can store them.
            json.dumps(payload, ensure_ascii=False).encode("utf-8")
        except (
            ValueError,
            RecursionError,
        ):  # also UnicodeError; RecursionError: nested past the parser's depth
            return self._refuse(trail, "MALFORMED_REQUEST", "the body is not valid JSON", 400)
        if not isinstance(payload, dict | list):
            return self._refuse(
                trail, "MALFORMED_REQUEST", "the body is a JSON object, or a list of them for a batch", 400
            )
        try:
            caller = self.verifier.authenticate(request.headers.get("authorization"))
        except GatewayError as exc:
            return self._refuse(trail, exc.code, exc.message, 401)
        trail.caller = caller
        try:
            self.rate.take(caller.id if caller.role is not Role.PUBLIC else f"ip:{trail.client or 'unknown'}")
        except RateLimited as exc:
            return self._refuse(
                trail, exc.code, exc.message, 429, headers={"Retry-After": str(exc.retry_after)}
            )
        if isinstance(payload, list):
            if not payload or len(payload) > self.settings.max_batch:
                return self._refuse(
                    trail,
                    "TOO_MANY_OPERATIONS",
                    f"a batch holds 1 to {self.settings.max_batch} operations",
                    400,
                )
            return JSONResponse(await run_in_threadpool(self.execute_all, payload, caller, trail))
        return JSONResponse(await run_in_threadpool(self.execute, payload, caller, trail))

    def dispose(self) -> None:
        """Close both engines' pooled connections."""
        self.engine.dispose()
        self.audit_engine.dispose()

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
                revision = db.current_revision(conn)
        except Exception:  # the reason goes to the log, not to the probe's caller
            log.exception("database unreachable")
            problems.append("database unreachable")
        else:
            # Reachable is not usable: SQLite creates a missing file on connect, and a schema behind the
            # code fails every query.
            if revision is None:
                problems.append("database schema missing: run 'credit-gateway db upgrade'")
            elif revision != self.schema_revision:
                problems.append(
                    f"database schema at revision {revision}, this gateway needs {self.schema_revision}: "
                    "run 'credit-gateway db upgrade'"
                )
        if problems:
            self.dispose()  # the next probe, and the next request, connect afresh
        if self.services.policy.last_error is not None:
            problems.append("policy reload failed; serving the last valid policy")
        if not self.committer.healthy and not self.committer.probe():
            problems.append("audit log cannot be written; requests are refused")
        return problems


def _audit_unavailable() -> Response:
    return JSONResponse(
        error_body("AUDIT_UNAVAILABLE", "the audit log cannot be written; no data is released"),
        status_code=503,
        headers={"Retry-After": "5"},
    )


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
        await run_in_threadpool(gateway.committer.close)
        gateway.dispose()

    app = Starlette(
        lifespan=lifespan,
        routes=[
            # Every method reaches the handler, so that even a refused one leaves its audit event.
            Route(
                "/graphql",
                gateway.graphql,
                methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            ),
            Route("/healthz", gateway.healthz),
            Route("/readyz", gateway.readyz),
            *page_routes(gateway.services.audit_keys),
        ],
    )
    app.state.gateway = gateway
    return app

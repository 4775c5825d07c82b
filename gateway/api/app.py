"""The Starlette application and its wiring: what one worker holds, built once from the settings.

Its roles live beside it: the ``/graphql`` endpoint's request checks and audit write in
``gateway.api.http``, running one operation in ``gateway.api.execution``, the probes in
``gateway.api.readiness``. ``create_app`` is the uvicorn factory (``credit-gateway serve``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import strawberry
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.routing import Route

from gateway.access.authentication import TokenVerifier
from gateway.access.consent_tokens import ConsentTokens
from gateway.access.disclosure import DisclosureRules
from gateway.access.lawful import LawfulAccessRules
from gateway.access.policy import FieldPolicy
from gateway.access.tokens import Caller
from gateway.api.auditing import RequestAuditor, Trail
from gateway.api.context import Services
from gateway.api.execution import Execution, parse_limits
from gateway.api.http import METHODS, GraphQLEndpoint
from gateway.api.limits import DocumentLimits
from gateway.api.pages import routes as page_routes
from gateway.api.ratelimit import RateLimiter
from gateway.api.readiness import Readiness, healthz
from gateway.api.schema import build_schema
from gateway.audit.committer import GroupCommitter
from gateway.audit.heads import HeadSigner
from gateway.audit.pseudonyms import Pseudonyms
from gateway.audit.store import AuditLog, HeadSchedule
from gateway.clock import utcnow
from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import load_keyring
from gateway.lifecycle.rules.loading import LifecycleRules
from gateway.settings import Settings
from gateway.store import db
from gateway.workdays import WorkCalendar


@dataclass(slots=True)
class Gateway:
    """Everything one worker holds for its lifetime, wired once from the settings.

    The HTTP endpoint and the readiness probe read these parts at each request; ``execute`` runs one
    operation (``gateway.api.execution``) and notes its audit event."""

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
            lawful_access=LawfulAccessRules.load(settings.policy_dir),
            disclosure=DisclosureRules.load(settings.policy_dir),
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

    @property
    def execution(self) -> Execution:
        """Running an operation with the parts held now: they may be swapped after wiring (a test
        sets a fixed clock on ``services``), and building this costs one small object."""
        return Execution(
            schema=self.schema,
            sessions=self.sessions,
            services=self.services,
            limits=self.limits,
            dev_mode=self.settings.dev_mode,
        )

    def execute(
        self, operation: Any, caller: Caller, trail: Trail | None = None, index: int = 0, size: int = 1
    ) -> dict[str, Any]:
        """Run one operation and note its audit event on ``trail`` (a new trail when none is given)."""
        trail = trail or self.auditor.start(None)
        trail.caller = caller
        ctx, body = self.execution.run(operation, caller)
        trail.documents.append(
            self.auditor.operation(trail, index=index, size=size, operation=operation, ctx=ctx, body=body)
        )
        return body

    def execute_all(
        self, operations: Sequence[Any], caller: Caller, trail: Trail | None = None
    ) -> list[dict[str, Any]]:
        trail = trail or self.auditor.start(None)
        return [self.execute(op, caller, trail, i, len(operations)) for i, op in enumerate(operations)]

    def dispose(self) -> None:
        """Close both engines' pooled connections."""
        self.engine.dispose()
        self.audit_engine.dispose()


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
            Route("/graphql", GraphQLEndpoint(gateway).handle, methods=METHODS),
            Route("/healthz", healthz),
            Route("/readyz", Readiness(gateway).readyz),
            *page_routes(gateway.services.audit_keys, dev_mode=gateway.settings.dev_mode),
        ],
    )
    app.state.gateway = gateway
    return app

"""The Starlette application and its wiring: what one worker holds, built once from the settings.

Its roles live beside it: the ``/graphql`` endpoint's request checks and audit write in
``gateway.api.http``, running one operation in ``gateway.api.execution``, the probes in
``gateway.api.readiness``. ``create_app`` is the uvicorn factory (``credit-gateway serve``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import strawberry
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.routing import Route

from gateway.access import consent_uses, revocations
from gateway.access.authentication import TokenVerifier
from gateway.access.consent_tokens import ConsentTokens
from gateway.access.disclosure import DisclosureRules
from gateway.access.document_policy import DocumentMode, DocumentPolicy
from gateway.access.lawful import LawfulAccessRules
from gateway.access.policy import FieldPolicy
from gateway.access.revocations import SharedRevocationList
from gateway.access.tokens import Caller
from gateway.api.auditing import RequestAuditor, Trail
from gateway.api.context import Services
from gateway.api.execution import Execution, parse_limits
from gateway.api.http import METHODS, GraphQLEndpoint
from gateway.api.limits import DocumentLimits
from gateway.api.media import MediaType, answer
from gateway.api.pages import routes as page_routes
from gateway.api.ratelimit import RateLimiter
from gateway.api.readiness import Readiness, healthz
from gateway.api.schema import build_schema
from gateway.api.trusted_documents import TrustedDocuments
from gateway.audit.committer import GroupCommitter, Pairing
from gateway.audit.heads import HeadSigner
from gateway.audit.pseudonyms import Pseudonyms
from gateway.audit.store import AuditLog, HeadSchedule
from gateway.clock import utcnow
from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import load_keyring
from gateway.lifecycle.rules.loading import LifecycleRules
from gateway.reports.rules import ReportRules
from gateway.reports.signing import ReportSigner
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
    revocations: SharedRevocationList
    auditor: RequestAuditor
    committer: GroupCommitter
    documents: TrustedDocuments  # registered documents, prepared once per worker
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
        pseudonyms = Pseudonyms(cipher, keyring.pseudonym_key)
        # The state every worker shares lives in the database (docs/deployment.md).
        revoked = SharedRevocationList(engine, refresh=settings.revocation_refresh_seconds, clock=utcnow)
        rate = RateLimiter(engine, per_second=settings.rate_per_second, burst=settings.rate_burst)
        # Run by the audit writer between its transactions (each job throttles itself).
        housekeeping = [
            consent_uses.StaleUseReleaser(
                audit_engine,
                grace=timedelta(seconds=settings.consent_use_grace_seconds),
                clock=utcnow,
                every=min(10.0, settings.consent_use_grace_seconds / 4),
            ),
            every(60.0, rate.prune),
            every(600.0, lambda: revocations.prune_expired(engine, now=utcnow())),
        ]
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
            revocations=revoked,
            lawful_access=LawfulAccessRules.load(settings.policy_dir),
            disclosure=DisclosureRules.load(settings.policy_dir),
            reports=ReportSigner.from_keyring(keyring),
            report_rules=ReportRules.load(settings.policy_dir),
        )
        schema = build_schema(dev_mode=settings.dev_mode)
        sessions = db.session_factory(engine)
        document_policy = DocumentPolicy.load(settings.policy_dir, DocumentMode(settings.trusted_documents))
        return cls(
            settings=settings,
            engine=engine,
            audit_engine=audit_engine,
            sessions=sessions,
            services=services,
            verifier=TokenVerifier.from_settings(settings, keyring, revoked=revoked),
            schema=schema,
            limits=parse_limits(settings.limits),
            rate=rate,
            revocations=revoked,
            auditor=RequestAuditor(pseudonyms, clock=utcnow),
            committer=GroupCommitter(
                audit_engine,
                audit_log,
                window=audit.group_window_ms / 1000,
                max_events=audit.group_max_events,
                idle_tick=min(1.0, audit.head_every_seconds),
                pairing=Pairing(consent_uses.claim, consent_uses.pair),
                housekeeping=housekeeping,
            ),
            documents=TrustedDocuments(schema, sessions, document_policy),
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
            documents=self.documents,
        )

    def execute(
        self, operation: Any, caller: Caller, trail: Trail | None = None, index: int = 0, size: int = 1
    ) -> dict[str, Any]:
        """Run one operation and note its audit event on ``trail`` (a new trail when none is given);
        its answer as ``application/json`` carries it."""
        return self.respond(operation, caller, trail, index=index, size=size, batched=size > 1)[1]

    def respond(
        self,
        operation: Any,
        caller: Caller,
        trail: Trail | None = None,
        media: MediaType = MediaType.JSON,
        *,
        index: int = 0,
        size: int = 1,
        batched: bool = False,
    ) -> tuple[int, dict[str, Any]]:
        """Run one operation, note its audit event on ``trail`` with the HTTP status it answers with,
        and return that status and the body in ``media`` (``gateway.api.media``). An operation of a
        batch (a JSON list, even of one) answers within the batch's 200."""
        trail = trail or self.auditor.start(None)
        trail.caller = caller
        ran = self.execution.run(operation, caller)
        ctx, body = ran.ctx, ran.body
        status, shaped = answer(body, media)
        status = 200 if batched else status
        trail.documents.append(
            self.auditor.operation(
                trail,
                index=index,
                size=size,
                operation=operation,
                ctx=ctx,
                body=body,
                http_status=status,
                document=(ran.document.id, ran.document.text) if ran.document else None,
            )
        )
        if ctx is not None:
            trail.consent_uses.extend((len(trail.documents) - 1, use_id) for use_id in ctx.consent_uses)
            trail.documents.extend(self.auditor.changes(trail, ctx))
        return status, shaped

    def execute_all(
        self,
        operations: Sequence[Any],
        caller: Caller,
        trail: Trail | None = None,
        media: MediaType = MediaType.JSON,
    ) -> list[dict[str, Any]]:
        trail = trail or self.auditor.start(None)
        size = len(operations)
        return [
            self.respond(op, caller, trail, media, index=i, size=size, batched=True)[1]
            for i, op in enumerate(operations)
        ]

    def dispose(self) -> None:
        """Close both engines' pooled connections."""
        self.engine.dispose()
        self.audit_engine.dispose()


def every(seconds: float, job: Callable[[], object]) -> Callable[[float], None]:
    """``job`` as a housekeeping job of the audit writer: run at most once per ``seconds``."""
    due = [0.0]

    def run(monotonic_now: float) -> None:
        if monotonic_now >= due[0]:
            due[0] = monotonic_now + seconds
            job()

    return run


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
            *page_routes(
                gateway.services.audit_keys,
                report_jwks=gateway.services.reports.jwks if gateway.services.reports else {"keys": []},
                dev_mode=gateway.settings.dev_mode,
            ),
        ],
    )
    app.state.gateway = gateway
    return app

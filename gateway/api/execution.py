"""Running one GraphQL operation: its shape, its trusted document if it names one, the caller's
document limits, then the schema on a session of its own, committed when the operation answers and
rolled back when it fails.

This runs in the thread pool (resolvers are synchronous on a synchronous SQLAlchemy session), so it
never blocks the event loop. Its answer is a response body, errors included: a refused or failed
operation is one answer of a batch, not a failed request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import execute
from sqlalchemy.orm import Session, sessionmaker
from strawberry.execution import optimized_is_awaitable
from strawberry.schema._graphql_core import execution_context_class_kwargs

from gateway.access.tokens import Caller
from gateway.api.context import RequestContext, Services
from gateway.api.errors import error_body, format_error
from gateway.api.limits import DocumentLimits, check, check_counted
from gateway.api.trusted_documents import PreparedDocument, Requested, TrustedDocuments, requested
from gateway.audit.changes import Change, ChangeKind
from gateway.errors import DatabaseUnavailable, GatewayError, InternalError, MalformedRequest
from gateway.store.faults import database_fault

log = logging.getLogger("gateway.api")

DEFAULT_LIMITS = DocumentLimits()


def parse_limits(spec: str) -> dict[str, DocumentLimits]:
    """``GATEWAY_LIMITS`` ("role=depth:aliases:tokens, ...") as limits per lower-case role name."""
    limits: dict[str, DocumentLimits] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        role, _, numbers = item.partition("=")
        depth, aliases, tokens = (int(n) for n in numbers.split(":"))
        limits[role.strip().lower()] = DocumentLimits(depth, aliases, tokens)
    return limits


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation object of a request, its members checked for type: query text, or the id of a
    trusted document (``gateway.api.trusted_documents``), or both."""

    query: str | None
    variables: dict[str, Any] | None
    name: str | None
    document_id: str | None = None

    @classmethod
    def of(cls, given: Any) -> Operation:
        if not isinstance(given, dict):
            raise MalformedRequest("each operation is a JSON object with a 'query' string")
        variables, name = given.get("variables"), given.get("operationName")
        if not (variables is None or isinstance(variables, dict)):
            raise MalformedRequest("'query' must be a string and 'variables' an object")
        if not (name is None or isinstance(name, str)):
            raise MalformedRequest("'operationName' must be a string")
        asked = requested(given)
        return cls(asked.query, variables, name, asked.document_id)


@dataclass(frozen=True, slots=True)
class Ran:
    """What running one operation gave: the context its resolvers noted facts on (None when it was
    refused before running: its shape, its document or its limits), its answer, and the trusted
    document it ran (None: its text as sent)."""

    ctx: RequestContext | None
    body: dict[str, Any]
    document: PreparedDocument | None = None


@dataclass(frozen=True, slots=True)
class Execution:
    """What running an operation needs; one per worker, shared by its threads."""

    schema: strawberry.Schema
    sessions: sessionmaker[Session]
    services: Services
    limits: dict[str, DocumentLimits]
    dev_mode: bool
    documents: TrustedDocuments

    def run(self, given: Any, caller: Caller) -> Ran:
        """The answer to one operation. A trusted document skips parse, validation and the walk of
        the limits (done once, ``TrustedDocuments``) and goes to graphql-core's executor directly."""
        prepared: PreparedDocument | None = None
        try:
            operation = Operation.of(given)
            prepared = self.documents.resolve(Requested(operation.query, operation.document_id), caller.role)
            limits = self.limits.get(caller.role.value.lower(), DEFAULT_LIMITS)
            if prepared is None:
                assert operation.query is not None  # ``requested`` asks for text or an id
                check(
                    operation.query,
                    limits,
                    allow_introspection=self.dev_mode,
                    operation_name=operation.name,
                )
            else:
                check_counted(
                    prepared.tokens,
                    prepared.shape,
                    prepared.operation_names,
                    limits,
                    allow_introspection=self.dev_mode,
                    operation_name=operation.name,
                )
        except GatewayError as exc:
            return Ran(None, error_body(exc.code, exc.message), prepared)
        reloaded = self.services.policy.reload_if_changed()
        with self.sessions() as session:
            ctx = RequestContext(
                caller=caller, session=session, services=self.services, now=self.services.clock()
            )
            if reloaded:
                digests = self.services.policy.digests()
                ctx.noticed.append(Change(ChangeKind.POLICY_RELOADED, detail={"files": digests}))
            try:
                if prepared is None:
                    result: Any = self.schema.execute_sync(
                        operation.query,
                        operation.variables,
                        context_value=ctx,
                        operation_name=operation.name,
                    )
                else:
                    result = execute(
                        self.schema._schema,  # type: ignore[attr-defined]
                        prepared.document,
                        context_value=ctx,
                        variable_values=operation.variables,
                        operation_name=operation.name,
                        is_awaitable=optimized_is_awaitable,
                        # Strawberry's executor, as its own execute_sync passes it.
                        **execution_context_class_kwargs(self.schema.execution_context_class),
                    )
                fault = next(
                    filter(None, (database_fault(e.original_error) for e in result.errors or ())), None
                )
                if fault is not None:  # the database failed under a field: no part of the answer leaves
                    log.warning("database failed while answering: %s", fault.code)
                    return self._abandon(session, ctx, fault, prepared)
                session.commit()
            except Exception as exc:
                if (fault := database_fault(exc)) is not None:
                    log.warning("database failed while committing: %s", fault.code)
                    return self._abandon(session, ctx, fault, prepared)
                self._rollback(session, ctx)
                log.exception("operation failed")
                failed = InternalError()
                return Ran(ctx, error_body(failed.code, failed.message), prepared)
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [format_error(e, dev_mode=self.dev_mode) for e in result.errors]
        return Ran(ctx, body, prepared)

    @staticmethod
    def _rollback(session: Session, ctx: RequestContext) -> None:
        try:
            session.rollback()
        except Exception:  # a connection already gone cannot roll back; the server did it
            log.warning("rollback failed", exc_info=True)
        ctx.changes.clear()  # nothing the operation wrote was kept
        ctx.consent_uses.clear()  # nor the consent uses it counted

    def _abandon(
        self,
        session: Session,
        ctx: RequestContext,
        fault: DatabaseUnavailable,
        prepared: PreparedDocument | None,
    ) -> Ran:
        """The answer to an operation the database failed under: rolled back, no data, one error."""
        self._rollback(session, ctx)
        return Ran(ctx, error_body(fault.code, fault.message), prepared)

"""Running one GraphQL operation: its shape, the caller's document limits, then the schema on a
session of its own, committed when the operation answers and rolled back when it fails.

This runs in the thread pool (resolvers are synchronous on a synchronous SQLAlchemy session), so it
never blocks the event loop. Its answer is a response body, errors included: a refused or failed
operation is one answer of a batch, not a failed request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import strawberry
from sqlalchemy.orm import Session, sessionmaker

from gateway.access.tokens import Caller
from gateway.api.context import RequestContext, Services
from gateway.api.errors import error_body, format_error
from gateway.api.limits import DocumentLimits, check
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
    """One operation object of a request, its members checked for type."""

    query: str
    variables: dict[str, Any] | None
    name: str | None

    @classmethod
    def of(cls, given: Any) -> Operation:
        if not isinstance(given, dict):
            raise MalformedRequest("each operation is a JSON object with a 'query' string")
        query, variables, name = given.get("query"), given.get("variables"), given.get("operationName")
        if not isinstance(query, str) or not (variables is None or isinstance(variables, dict)):
            raise MalformedRequest("'query' must be a string and 'variables' an object")
        if not (name is None or isinstance(name, str)):
            raise MalformedRequest("'operationName' must be a string")
        return cls(query, variables, name)


@dataclass(frozen=True, slots=True)
class Execution:
    """What running an operation needs; one per worker, shared by its threads."""

    schema: strawberry.Schema
    sessions: sessionmaker[Session]
    services: Services
    limits: dict[str, DocumentLimits]
    dev_mode: bool

    def run(self, given: Any, caller: Caller) -> tuple[RequestContext | None, dict[str, Any]]:
        """The answer to one operation, with the context its resolvers noted facts on (None when it
        was refused before running: its shape or its limits)."""
        try:
            operation = Operation.of(given)
            check(
                operation.query,
                self.limits.get(caller.role.value.lower(), DEFAULT_LIMITS),
                allow_introspection=self.dev_mode,
                operation_name=operation.name,
            )
        except GatewayError as exc:
            return None, error_body(exc.code, exc.message)
        reloaded = self.services.policy.reload_if_changed()
        with self.sessions() as session:
            ctx = RequestContext(
                caller=caller, session=session, services=self.services, now=self.services.clock()
            )
            if reloaded:
                digests = self.services.policy.digests()
                ctx.noticed.append(Change(ChangeKind.POLICY_RELOADED, detail={"files": digests}))
            try:
                result = self.schema.execute_sync(
                    operation.query,
                    operation.variables,
                    context_value=ctx,
                    operation_name=operation.name,
                )
                fault = next(
                    filter(None, (database_fault(e.original_error) for e in result.errors or ())), None
                )
                if fault is not None:  # the database failed under a field: no part of the answer leaves
                    log.warning("database failed while answering: %s", fault.code)
                    return self._abandon(session, ctx, fault)
                session.commit()
            except Exception as exc:
                if (fault := database_fault(exc)) is not None:
                    log.warning("database failed while committing: %s", fault.code)
                    return self._abandon(session, ctx, fault)
                self._rollback(session, ctx)
                log.exception("operation failed")
                failed = InternalError()
                return ctx, error_body(failed.code, failed.message)
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [format_error(e, dev_mode=self.dev_mode) for e in result.errors]
        return ctx, body

    @staticmethod
    def _rollback(session: Session, ctx: RequestContext) -> None:
        try:
            session.rollback()
        except Exception:  # a connection already gone cannot roll back; the server did it
            log.warning("rollback failed", exc_info=True)
        ctx.changes.clear()  # nothing the operation wrote was kept
        ctx.consent_uses.clear()  # nor the consent uses it counted

    def _abandon(
        self, session: Session, ctx: RequestContext, fault: DatabaseUnavailable
    ) -> tuple[RequestContext, dict[str, Any]]:
        """The answer to an operation the database failed under: rolled back, no data, one error."""
        self._rollback(session, ctx)
        return ctx, error_body(fault.code, fault.message)

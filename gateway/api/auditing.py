"""From one HTTP request to its audit event documents: one per operation, or one for a refusal.

The endpoint starts a ``Trail`` when a request arrives and asks ``RequestAuditor`` for an event
document at every way out: a refusal before execution (body, token, rate, batch cap), or each
operation after execution. Documents carry no sequence number; the log assigns it. Identity values
in the document and variables are pseudonymised here (``gateway.audit.redaction``).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from graphql import GraphQLError, parse

from gateway.access.tokens import Caller
from gateway.api.context import RequestContext
from gateway.audit.changes import change_document, system_facts
from gateway.audit.events import CallerFacts, RequestOutcome, draft_document, outcome_of
from gateway.audit.redaction import DocumentFacts, Pseudonymize, Redactor, document_facts

# Parsing for the log never runs into the per-role token limit first: a document refused for its size
# still gets a hash when it parses within this bound, and none beyond it.
_PARSE_MAX_TOKENS = 50_000
_CACHE_SIZE = 1_024


@dataclass(slots=True)
class Trail:
    """What is known of a request so far."""

    request_id: str
    time: datetime
    started: float
    client: str | None
    caller: Caller | None = None
    documents: list[dict[str, Any]] = field(default_factory=list)
    # (index in ``documents``, consent use id): uses that count only with their document's event.
    consent_uses: list[tuple[int, str]] = field(default_factory=list)

    def elapsed_us(self) -> int:
        return int((time.perf_counter() - self.started) * 1_000_000)


def caller_facts(caller: Caller | None, redactor: Redactor) -> CallerFacts:
    if caller is None:
        return CallerFacts()
    return CallerFacts(
        id=redactor.scrub(caller.id),  # an identity provider might use an identity number as subject
        role=caller.role.value,
        organization=caller.org_code,
        agency_kind=caller.agency_kind.value if caller.agency_kind is not None else None,
        person=caller.person_id,
        issuer=caller.issuer,
    )


class RequestAuditor:
    def __init__(self, pseudonymize: Pseudonymize, clock: Callable[[], datetime]) -> None:
        self.pseudonymize = pseudonymize
        self.clock = clock
        self._facts: OrderedDict[str, DocumentFacts | None] = OrderedDict()
        self._lock = threading.Lock()

    def start(self, client: str | None) -> Trail:
        return Trail(secrets.token_hex(8), self.clock(), time.perf_counter(), client)

    def request_event(
        self, trail: Trail, code: str | None, status: int, outcome: RequestOutcome = RequestOutcome.REFUSED
    ) -> dict[str, Any]:
        """The one event of a request answered without running an operation: a refusal (with its
        code), or the GraphiQL page in dev mode."""
        redactor = Redactor(self.pseudonymize)
        return draft_document(
            time=trail.time,
            request_id=trail.request_id,
            batch_index=0,
            batch_size=0,
            caller=caller_facts(trail.caller, redactor),
            client=trail.client,
            pseudonyms=redactor.found,
            outcome=outcome,
            errors=[code] if code else [],
            http_status=status,
            duration_us=trail.elapsed_us(),
        )

    def operation(
        self,
        trail: Trail,
        *,
        index: int,
        size: int,
        operation: Any,
        ctx: RequestContext | None,
        body: dict[str, Any],
        http_status: int = 200,
        document: tuple[str, str] | None = None,
    ) -> dict[str, Any]:
        """The event of one operation (of a batch of ``size``), from what the request asked, what
        the resolvers noted in ``ctx`` (None when it never ran), the body it answers (as
        ``application/json`` has it, whatever media type carried it) and the HTTP status.
        ``document`` is the trusted document it ran, (id, text): the event names its id and reads
        its text as if sent. An id the store did not hold is not kept: it may be the hash of any text."""
        redactor = Redactor(self.pseudonymize)
        query = operation.get("query") if isinstance(operation, dict) else None
        if document is not None:
            query = document[1]
        name = operation.get("operationName") if isinstance(operation, dict) else None
        variables = operation.get("variables") if isinstance(operation, dict) else None
        facts = self.facts(query) if isinstance(query, str) else None
        chosen = facts.operation(name if isinstance(name, str) else None) if facts else None
        redacted_variables = (
            redactor.variables(variables, facts.positions)
            if facts is not None and isinstance(variables, dict)
            else None
        )
        codes = [str(e.get("extensions", {}).get("code", "INTERNAL_ERROR")) for e in body.get("errors", [])]
        data = body.get("data")
        executed = ctx is not None and "data" in body
        return draft_document(
            time=trail.time,
            request_id=trail.request_id,
            batch_index=index,
            batch_size=size,
            caller=caller_facts(trail.caller, redactor),
            client=trail.client,
            operation_name=redactor.scrub(name)
            if isinstance(name, str)
            else (chosen.name if chosen else None),
            operation_type=chosen.type if chosen else None,
            document_sha256=facts.sha256 if facts else None,
            root_fields=chosen.root_fields if chosen else (),
            variables=redacted_variables,
            pseudonyms=(facts.pseudonyms if facts else frozenset()) | redactor.found,
            subjects=ctx.subjects_touched if ctx else (),
            field_outcomes=ctx.field_outcomes if ctx else None,
            rules=ctx.field_rules if ctx else None,
            consent_id=ctx.consent_id if ctx else None,
            purpose=ctx.purpose if ctx else None,
            outcome=outcome_of(
                executed=executed,
                has_data=isinstance(data, dict) and any(v is not None for v in data.values()),
                codes=codes,
            ),
            errors=codes,
            http_status=http_status,
            duration_us=trail.elapsed_us(),
            legal_bases=ctx.legal_bases if ctx else (),
            notice_after=ctx.notice_after if ctx else None,
            trusted_document=document[0] if document else None,
            # Reports are noted once signed; an operation that failed sent no data, so handed out none.
            reports=ctx.reports if ctx is not None and isinstance(data, dict) else (),
        )

    def changes(self, trail: Trail, ctx: RequestContext) -> list[dict[str, Any]]:
        """The change events of one operation (gateway.audit.changes), after its request event and
        under the same request id: what it changed in the store, with the caller as the actor; and
        a policy reload it noticed, with the gateway as the actor."""
        redactor = Redactor(self.pseudonymize)
        actor = caller_facts(trail.caller, redactor)
        noticed = [
            change_document(c, time=ctx.now, request_id=trail.request_id, actor=system_facts("policy-files"))
            for c in ctx.noticed
        ]
        made = [
            change_document(
                c,
                time=ctx.now,
                request_id=trail.request_id,
                actor=actor,
                client=trail.client,
                http_status=200,
            )
            for c in ctx.changes
        ]
        return noticed + made

    def facts(self, query: str) -> DocumentFacts | None:
        """The log's view of a query document (cached per query text); None when it does not parse."""
        with self._lock:
            if query in self._facts:
                self._facts.move_to_end(query)
                return self._facts[query]
        try:
            facts: DocumentFacts | None = document_facts(
                parse(query, max_tokens=_PARSE_MAX_TOKENS), self.pseudonymize
            )
        except (GraphQLError, RecursionError):
            facts = None
        with self._lock:
            self._facts[query] = facts
            while len(self._facts) > _CACHE_SIZE:
                self._facts.popitem(last=False)
        return facts

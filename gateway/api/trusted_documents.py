"""Trusted documents on the request path: the id a request names, the registered text it stands for,
and everything about that text that no variable changes, done once per worker.

A request may name a registered document instead of sending its text (docs/partner-guide.md):
``{"documentId": "sha256:…"}`` (the GraphQL-over-HTTP trusted documents convention) or Apollo's
``{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "…"}}}``. The first time a worker
meets an id it reads the text from the store and prepares it (``prepare``): parsed, validated against
the schema, counted in tokens, measured for depth, aliases and introspection, its operations named.
From then on each request checks only what depends on the caller (the role's limits against the
numbers kept) and on the variables (coerced by graphql-core as it executes); the field policy still
decides per caller, field by field, memoised per (subjects, field) in ``FieldPolicy.decide``: what a
caller may see depends on who asks and on the consent a variable carries, never on the document.

A text sent together with an id must hash to it (``DOCUMENT_ID_INVALID``); an id the store does not
hold is ``DOCUMENT_UNKNOWN``; text from a role that must name documents is ``DOCUMENT_REQUIRED``
(``gateway.access.document_policy``). A document that embeds an identity value in a literal is never
registered, so a registered id is safe to keep in the audit event.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, parse, specified_rules
from graphql.language import Lexer, Source, TokenKind
from sqlalchemy.orm import Session, sessionmaker
from strawberry.schema.schema import validate_document

from gateway.access.document_policy import DocumentPolicy
from gateway.access.tokens import Role
from gateway.api.limits import DocumentShape, measure
from gateway.audit.redaction import Pseudonymize, document_facts
from gateway.errors import (
    DocumentIdInvalid,
    DocumentRefused,
    DocumentRequired,
    DocumentUnknown,
    MalformedRequest,
    QuerySyntaxError,
    ValidationFailed,
)
from gateway.store import documents

_PARSE_MAX_TOKENS = 50_000  # the largest document accepted for registration
_CACHE_SIZE = 1_024


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    """A registered document as executed: what no caller and no variable changes."""

    id: str
    text: str
    document: DocumentNode
    tokens: int
    shape: DocumentShape
    operation_names: tuple[str | None, ...]


def count_tokens(text: str) -> int:
    """Tokens as graphql-core's ``max_tokens`` counts them (the limits' token limit): every token
    between the start and the end of the text, comments included."""
    lexer = Lexer(Source(text))
    token = lexer.token
    while token.kind is not TokenKind.EOF:
        token = lexer.advance()
    count = 0
    while token.prev is not None and token.prev.kind is not TokenKind.SOF:
        token = token.prev
        count += 1
    return count


def prepare(
    schema: strawberry.Schema, text: str, pseudonymize: Pseudonymize | None = None
) -> PreparedDocument:
    """Parse, validate and measure ``text`` once. ``DOCUMENT_REFUSED`` when it does not parse or fit the
    schema; with ``pseudonymize`` (registration), also when a literal holds an identity value."""
    try:
        document = parse(text, max_tokens=_PARSE_MAX_TOKENS)
    except GraphQLError as exc:
        raise DocumentRefused(f"the document does not parse: {exc.message}") from None
    errors = validate_document(schema._schema, document, tuple(specified_rules))  # type: ignore[attr-defined]
    if errors:
        raise DocumentRefused(f"the document does not fit the schema: {errors[0].message}")
    if pseudonymize is not None and document_facts(document, pseudonymize).pseudonyms:
        raise DocumentRefused("the document holds an identity value in a literal: pass it in a variable")
    names = tuple(
        d.name.value if d.name else None
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    )
    return PreparedDocument(
        documents.document_id(text), text, document, count_tokens(text), measure(document), names
    )


@dataclass(frozen=True, slots=True)
class Requested:
    """What one operation object asks to run: text, a registered document, or both (checked equal)."""

    query: str | None
    document_id: str | None


def requested(given: dict[str, Any]) -> Requested:
    """The text and the document id of an operation object; ``DOCUMENT_ID_INVALID`` for a malformed
    id, two ids that differ, or a text that does not hash to its id."""
    ids: list[str] = []
    if "documentId" in given:
        ids.append(documents.parse_id(given["documentId"]))
    extensions = given.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise MalformedRequest("'extensions' must be an object")
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is not None:
        if not isinstance(persisted, dict) or persisted.get("version", 1) != 1:
            raise DocumentIdInvalid('\'persistedQuery\' is {"version": 1, "sha256Hash": "<hex>"}')
        ids.append(documents.parse_id(persisted.get("sha256Hash"), bare_hex=True))
    if len(set(ids)) > 1:
        raise DocumentIdInvalid("the operation names two different documents")
    query = given.get("query")
    doc_id = ids[0] if ids else None
    if query is not None and not isinstance(query, str):
        raise MalformedRequest("'query' must be a string and 'variables' an object")
    if query is None and doc_id is None:
        raise MalformedRequest("each operation is a JSON object with a 'query' string or a 'documentId'")
    if query is not None and doc_id is not None and documents.document_id(query) != doc_id:
        raise DocumentIdInvalid("the query text does not hash to the document id sent with it")
    return Requested(query, doc_id)


class TrustedDocuments:
    """One worker's registered documents, prepared on first use and kept ``cache_seconds``."""

    def __init__(
        self,
        schema: strawberry.Schema,
        sessions: sessionmaker[Session],
        policy: DocumentPolicy,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.schema = schema
        self.sessions = sessions
        self.policy = policy
        self.clock = clock
        self._kept: OrderedDict[str, tuple[float, PreparedDocument]] = OrderedDict()
        self._lock = threading.Lock()

    def resolve(self, asked: Requested, role: Role) -> PreparedDocument | None:
        """The prepared document an operation runs (None: it runs its text as sent), or the refusal.
        An id sent with its text (``requested`` checked they match) that is not registered, or while
        trusted documents are off, runs as text, as Apollo's clients expect after a miss; a role
        that must run registered documents gets ``DOCUMENT_UNKNOWN`` for it instead."""
        must = self.policy.requires_document(role)
        if asked.document_id is None:
            if must:
                raise DocumentRequired(
                    f"the {role.value} role runs registered documents only: send 'documentId'"
                )
            return None
        if not self.policy.accepts_ids:
            if asked.query is not None:
                return None
            raise DocumentUnknown("trusted documents are off on this gateway: send the query text")
        try:
            return self.get(asked.document_id)
        except DocumentUnknown:
            if asked.query is not None and not must:
                return None
            raise

    def get(self, doc_id: str) -> PreparedDocument:
        now = self.clock()
        with self._lock:
            kept = self._kept.get(doc_id)
            if kept is not None and kept[0] > now:
                self._kept.move_to_end(doc_id)
                return kept[1]
        with self.sessions() as session:
            stored = documents.get(session, doc_id)
        if stored is None:
            with self._lock:
                self._kept.pop(doc_id, None)
            raise DocumentUnknown(f"no document {doc_id} is registered: register it, or send the text")
        try:
            prepared = prepare(self.schema, stored.body)
        except DocumentRefused as exc:  # registered under another schema: answered as text would be
            if "parse" in exc.message:
                raise QuerySyntaxError(exc.message) from None
            raise ValidationFailed(exc.message) from None
        with self._lock:
            self._kept[doc_id] = (now + self.policy.cache_seconds, prepared)
            while len(self._kept) > _CACHE_SIZE:
                self._kept.popitem(last=False)
        return prepared

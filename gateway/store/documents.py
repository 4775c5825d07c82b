"""Trusted documents in the store: the GraphQL documents partners registered, each under its id.

The id is ``sha256:`` and the lower-case hex SHA-256 of the document's UTF-8 text, as the
GraphQL-over-HTTP trusted documents convention and Apollo's persisted queries name them, so a client
can compute it without asking and a registered text can never change under its id. The table is
shared by every worker; whether a document parses and fits the schema is checked before it is added
(``gateway.api.trusted_documents.prepare``), not here: the store knows no schema.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gateway.errors import DocumentIdInvalid
from gateway.store.models import TrustedDocument

PREFIX = "sha256:"
_HEX = re.compile(r"[0-9a-f]{64}")


def document_id(text: str) -> str:
    """The id of a document: ``sha256:`` and the hex digest of its UTF-8 text, byte for byte."""
    return PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_id(value: object, *, bare_hex: bool = False) -> str:
    """``value`` as a document id, or ``DOCUMENT_ID_INVALID``. ``bare_hex`` accepts the 64 hex digits
    alone (Apollo's ``sha256Hash``) and returns them with the prefix."""
    if isinstance(value, str):
        digest = value if bare_hex and not value.startswith(PREFIX) else value.removeprefix(PREFIX)
        if (bare_hex or value.startswith(PREFIX)) and _HEX.fullmatch(digest):
            return PREFIX + digest
    raise DocumentIdInvalid("a document id is 'sha256:' and 64 lower-case hex digits")


@dataclass(frozen=True, slots=True)
class StoredDocument:
    id: str
    body: str
    name: str | None
    owner: str | None
    added_at: datetime


def _view(row: TrustedDocument) -> StoredDocument:
    return StoredDocument(row.id, row.body, row.name, row.owner, row.added_at)


def add(
    session: Session, text: str, *, now: datetime, name: str | None = None, owner: str | None = None
) -> tuple[StoredDocument, bool]:
    """Register ``text`` under its id; adding the same text again changes nothing. Returns the
    stored document and whether it is new."""
    found = session.get(TrustedDocument, document_id(text))
    if found is not None:
        return _view(found), False
    row = TrustedDocument(id=document_id(text), body=text, name=name, owner=owner, added_at=now)
    session.add(row)
    session.flush()
    return _view(row), True


def get(session: Session, doc_id: str) -> StoredDocument | None:
    row = session.get(TrustedDocument, doc_id)
    return _view(row) if row is not None else None


def listed(session: Session) -> list[StoredDocument]:
    """Every registered document, oldest first."""
    rows = session.scalars(select(TrustedDocument).order_by(TrustedDocument.added_at, TrustedDocument.id))
    return [_view(row) for row in rows]


def remove(session: Session, doc_id: str) -> bool:
    """Remove a document; whether it was there."""
    return bool(session.execute(delete(TrustedDocument).where(TrustedDocument.id == doc_id)).rowcount)

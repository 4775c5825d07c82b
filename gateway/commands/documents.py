"""``credit-gateway documents``: the trusted documents partners run by id (docs/partner-guide.md).

``add`` checks a document as the gateway will run it (parses, fits the schema, no identity value in a
literal) before storing it under ``sha256:<hex>`` of its text; ``remove`` takes it away (workers that
hold it stop within ``cache_seconds`` of ``policies/trusted-documents.toml``). Each change is a
change event in the audit log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from gateway.api.schema import build_schema
from gateway.api.trusted_documents import prepare
from gateway.audit.changes import Change, ChangeKind
from gateway.audit.pseudonyms import Pseudonyms
from gateway.clock import utcnow
from gateway.commands.audit_log import append_changes
from gateway.commands.common import console, settings, user_errors
from gateway.errors import DocumentRefused
from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import load_keyring
from gateway.store import db, documents

app = typer.Typer(
    help="Trusted documents: the operations partners register and run by id.", no_args_is_help=True
)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise DocumentRefused(f"{path.name}: cannot read it as UTF-8 text") from None


@app.command("add")
def add(
    file: Annotated[Path, typer.Argument(help="A GraphQL document (.graphql), stored byte for byte.")],
    name: Annotated[str | None, typer.Option(help="A label shown by 'documents list'.")] = None,
    owner: Annotated[str | None, typer.Option(help="Credit code of the partner that runs it.")] = None,
) -> None:
    """Register a document; prints its id (``sha256:<hex>`` of the file's bytes). Adding the same
    text again changes nothing."""
    cfg = settings()
    with user_errors():
        text = _read(file)
        keyring = load_keyring(cfg.keyring_path)
        prepare(build_schema(), text, Pseudonyms(FieldCipher(keyring), keyring.pseudonym_key))
        db.upgrade(cfg.database_url)
        engine = db.make_engine(cfg.database_url)
        try:
            with Session(engine) as session, session.begin():
                stored, new = documents.add(session, text, now=utcnow(), name=name or file.stem, owner=owner)
        finally:
            engine.dispose()
        if new:
            detail = {"document": stored.id, "name": stored.name, "owner": stored.owner}
            append_changes(cfg, [Change(ChangeKind.DOCUMENT_ADDED, detail=detail)])
    console.print(f"{'added' if new else 'already registered'}: {stored.name}", highlight=False)
    print(stored.id)


@app.command("list")
def list_documents() -> None:
    """Every registered document: id, name, owner, when it was added."""
    cfg = settings()
    with user_errors():
        engine = db.make_engine(cfg.database_url)
        try:
            with Session(engine) as session:
                found = documents.listed(session)
        finally:
            engine.dispose()
    for doc in found:
        print(f"{doc.id}\t{doc.name or ''}\t{doc.owner or ''}\t{doc.added_at.isoformat()}")
    console.print(f"{len(found)} document{'s' if len(found) != 1 else ''}", highlight=False)


@app.command("remove")
def remove(
    doc_id: Annotated[str, typer.Argument(metavar="ID", help="The document's sha256:<hex> id.")],
) -> None:
    """Remove a registered document; requests naming it are then DOCUMENT_UNKNOWN."""
    cfg = settings()
    with user_errors():
        wanted = documents.parse_id(doc_id)
        engine = db.make_engine(cfg.database_url)
        try:
            with Session(engine) as session, session.begin():
                removed = documents.remove(session, wanted)
        finally:
            engine.dispose()
        if removed:
            append_changes(cfg, [Change(ChangeKind.DOCUMENT_REMOVED, detail={"document": wanted})])
    console.print(f"{'removed' if removed else 'not registered'}: {wanted}", highlight=False)
    if not removed:
        raise typer.Exit(1)

"""``credit-gateway db``: schema migrations, and rewriting rows a migration cannot (it has no keyring)."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gateway.commands.common import console, new_sqlite_file, settings, user_errors
from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import load_keyring
from gateway.store import db, text_protection

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(
    revision: str = typer.Argument("head", help="Alembic revision to migrate to."),
    create: bool = typer.Option(
        False, "--create", help="Create the default SQLite database (var/credit.db) when it does not exist."
    ),
) -> None:
    """Create or migrate the schema of GATEWAY_DATABASE_URL (idempotent).

    With the default, relative SQLite URL and no file there, refuses (DATABASE_NOT_FOUND) unless
    --create: run in the wrong folder it would otherwise start a new, empty store silently. A new
    SQLite file is always named with its absolute path.
    """
    config = settings()
    with user_errors():
        new = new_sqlite_file(config, create=create)
        db.upgrade(config.database_url, revision)
    if new is not None:
        console.print(f"created a new SQLite database at {new.resolve()}")
    console.print(f"schema at {revision}")
    if revision == "head":
        _report_unprotected(config.database_url)


def _report_unprotected(url: str) -> None:
    """Name the data step revision 0009 leaves: texts of natural persons still whole in clear."""
    engine = db.make_engine(url)
    try:
        waiting = text_protection.waiting(engine)
    finally:
        engine.dispose()
    if waiting:
        console.print(
            f"[yellow]{waiting} free texts of natural persons are still stored whole in clear[/yellow]: "
            "run 'credit-gateway db protect-free-text' (needs the keyring; resumable) to mask and "
            "encrypt them (docs/privacy-model.md)"
        )


@app.command("protect-free-text")
def protect_free_text(
    batch_size: int = typer.Option(
        text_protection.DEFAULT_BATCH_SIZE, "--batch-size", min=1, help="Rows per transaction."
    ),
) -> None:
    """Mask and encrypt the free texts about natural persons written before revision 0009.

    Records' content, list entries' reasons and individual businesses' trade names are rewritten as
    the writer now stores them: the masked form in clear, the whole text encrypted. Idempotent; an
    interrupted run keeps its finished batches, and running it again completes the rest.
    """
    config = settings()
    with user_errors():
        cipher = FieldCipher(load_keyring(config.keyring_path))
        engine = db.make_engine(config.database_url)
        try:
            columns = (
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            with Progress(*columns, console=console) as progress:
                task = progress.add_task("protecting free text", total=text_protection.unchecked(engine))
                result = text_protection.protect(
                    engine, cipher, batch_size=batch_size, on_batch=lambda n: progress.advance(task, n)
                )
        finally:
            engine.dispose()
    console.print(
        f"looked at {result.scanned} texts; masked and encrypted {result.protected}; "
        "the others name no natural person"
    )

"""``credit-gateway db``: schema migrations, backup and restore, and rewriting rows a migration cannot
(it has no keyring)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gateway.commands.common import console, new_sqlite_file, progress_bar, settings, user_errors
from gateway.errors import KeyringError
from gateway.keys.crypto import FieldCipher
from gateway.keys.index_rotation import index_counts
from gateway.keys.keyring import load_keyring
from gateway.keys.usage import require_versions, version_counts
from gateway.store import backup, db, text_protection

app = typer.Typer(help="Database schema, backup and restore, protecting free text.", no_args_is_help=True)


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
            with progress_bar() as progress:
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


@app.command("backup")
def backup_command(
    target: Annotated[Path, typer.Argument(help="The backup file to write; never overwritten.")],
) -> None:
    """Back up the running store of GATEWAY_DATABASE_URL to one file (mode 0600).

    SQLite's online backup API, or pg_dump's custom format. The keyring is not in it: back that up
    apart (docs/keys.md)."""
    config = settings()
    with user_errors():
        result = backup.backup(config.database_url, target)
        needs = _keys_needed(config.database_url)
    console.print(f"backed up to {result.path} ({result.size:,} bytes, {result.method}, mode 0600)")
    console.print(f"{needs}; keep a keyring holding them, apart from this backup", highlight=False)


@app.command("restore")
def restore_command(
    source: Annotated[Path, typer.Argument(help="A file written by 'credit-gateway db backup'.")],
) -> None:
    """Restore a backup into GATEWAY_DATABASE_URL, which must be empty, and check the keyring.

    The target is a new SQLite file or a database without tables; GATEWAY_KEYRING must then hold
    every data key and index key the restored rows use."""
    config = settings()
    with user_errors():
        backup.restore(source, config.database_url)
        console.print(f"restored {source} into the database of GATEWAY_DATABASE_URL", highlight=False)
        console.print(_keys_needed(config.database_url), highlight=False)
        keyring = load_keyring(config.keyring_path)
        engine = db.make_engine(config.database_url)
        try:
            with engine.connect() as conn:
                require_versions(version_counts(conn), keyring)
                index_versions = {v for per in index_counts(conn).values() for v in per}
        finally:
            engine.dispose()
        if not index_versions <= set(keyring.index_keys):
            raise KeyringError(
                f"the restored rows use index key version(s) {_listed(index_versions)}; the keyring holds "
                f"{_listed(set(keyring.index_keys))}: lookups would find nobody. Use the keyring of the backup"
            )
    console.print(f"the keyring at {config.keyring_path} holds every key the restored data needs")


def _keys_needed(database_url: str) -> str:
    engine = db.make_engine(database_url)
    try:
        with engine.connect() as conn:
            data = {v for per in version_counts(conn).values() for v in per}
            index = {v for per in index_counts(conn).values() for v in per}
    finally:
        engine.dispose()
    return f"the data needs data key version(s) {_listed(data)} and index key version(s) {_listed(index)}"


def _listed(versions: set[int]) -> str:
    return ", ".join(map(str, sorted(versions))) or "none"

"""``credit-gateway db``: schema migrations."""

from __future__ import annotations

import typer

from gateway.commands.common import console, new_sqlite_file, settings, user_errors
from gateway.store import db

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

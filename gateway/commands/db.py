"""``credit-gateway db``: schema migrations."""

from __future__ import annotations

import typer

from gateway.commands.common import console, settings
from gateway.store import db

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(revision: str = typer.Argument("head", help="Alembic revision to migrate to.")) -> None:
    """Create or migrate the schema of GATEWAY_DATABASE_URL (idempotent)."""
    db.upgrade(settings().database_url, revision)
    console.print(f"schema at {revision}")

"""What every sub-command shares: settings from the environment, and errors shown as one line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from gateway.errors import DatabaseNotFound, GatewayError
from gateway.settings import Settings
from gateway.store import db

console = Console(stderr=True)


def progress_bar() -> Progress:
    """The bar of every long-running command (rotations, export, verify, protecting text): what it
    does, how far of how many, time taken and left, on standard error beside the messages."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None


@contextmanager
def user_errors() -> Iterator[None]:
    """Show a GatewayError as ``error [CODE]: message`` and exit 1, never as a traceback."""
    try:
        yield
    except GatewayError as exc:
        console.print(f"[red]error[/red] [{exc.code}]: {exc.message}", markup=True, highlight=False)
        raise typer.Exit(1) from None


def new_sqlite_file(config: Settings, *, create: bool) -> Path | None:
    """The SQLite file a migration is about to create, or None when it exists (or is no file).

    The default URL is relative (``var/credit.db``), so run from another folder it names a file that
    is not there, and migrating would start an empty store nobody meant: refused
    (DATABASE_NOT_FOUND) unless ``create``. A URL set on purpose creates its file, and the caller says
    where it went.
    """
    path = db.sqlite_file(config.database_url)
    if path is None or path.exists():
        return None
    if not create and config.database_url == Settings().database_url:
        raise DatabaseNotFound(
            f"no database at {path.resolve()}: the default GATEWAY_DATABASE_URL ({config.database_url}) "
            "is relative to the current folder. Run from the folder that holds var/, set "
            "GATEWAY_DATABASE_URL, or pass --create to make a new, empty database there"
        )
    return path

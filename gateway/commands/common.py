"""What every sub-command shares: settings from the environment, and errors shown as one line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from gateway.errors import GatewayError
from gateway.settings import Settings

console = Console(stderr=True)


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

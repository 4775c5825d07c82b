"""The ``credit-gateway`` command line: one sub-command module per job, under ``gateway.commands``."""

from __future__ import annotations

import typer

from gateway.commands import db as db_commands
from gateway.commands import keys as keys_commands
from gateway.commands import seed as seed_commands

app = typer.Typer(
    name="credit-gateway",
    help="GraphQL gateway in front of a unified public credit database.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(keys_commands.app, name="keys")
app.add_typer(db_commands.app, name="db")
app.command("seed")(seed_commands.seed)


def main() -> None:
    app()

"""The ``credit-gateway`` command line: one sub-command module per job, under ``gateway.commands``."""

from __future__ import annotations

import typer

from gateway.commands import db as db_commands
from gateway.commands import importing as import_commands
from gateway.commands import keys as keys_commands

app = typer.Typer(
    name="credit-gateway",
    help="GraphQL gateway in front of a unified public credit database.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("import")(import_commands.run)
app.add_typer(keys_commands.app, name="keys")
app.add_typer(db_commands.app, name="db")


def main() -> None:
    app()

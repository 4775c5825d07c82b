"""The ``credit-gateway`` command line: one sub-command module per job, under ``gateway.commands``."""

from __future__ import annotations

import typer

from gateway.commands import audit as audit_commands
from gateway.commands import check as check_commands
from gateway.commands import db as db_commands
from gateway.commands import documents as document_commands
from gateway.commands import importing as import_commands
from gateway.commands import index_keys as index_key_commands
from gateway.commands import keys as keys_commands
from gateway.commands import quality as quality_commands
from gateway.commands import reports as report_commands
from gateway.commands import schema as schema_commands
from gateway.commands import seed as seed_commands
from gateway.commands import serve as serve_commands
from gateway.commands import signing_keys as signing_key_commands
from gateway.commands import tokens as token_commands

app = typer.Typer(
    name="credit-gateway",
    help="GraphQL gateway in front of a unified public credit database.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("import")(import_commands.run)
app.command("check")(check_commands.check)
app.add_typer(keys_commands.app, name="keys")
signing_key_commands.register(keys_commands.app)
index_key_commands.register(keys_commands.app)
app.add_typer(db_commands.app, name="db")
app.add_typer(quality_commands.app, name="quality")
app.add_typer(token_commands.app, name="token")
app.command("serve")(serve_commands.serve)
app.command("schema")(schema_commands.schema)
app.command("seed")(seed_commands.seed)
app.add_typer(audit_commands.app, name="audit")
app.add_typer(document_commands.app, name="documents")
app.add_typer(report_commands.app, name="report")


def main() -> None:
    app()

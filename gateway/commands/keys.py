"""``credit-gateway keys``: the keyring."""

from __future__ import annotations

import typer

from gateway.commands.common import console, settings, user_errors
from gateway.keyring import create_keyring_file

app = typer.Typer(help="Keyring of data keys and the blind-index key.", no_args_is_help=True)


@app.command("init")
def init() -> None:
    """Write a new keyring to GATEWAY_KEYRING (mode 0600); refuses to overwrite an existing one."""
    path = settings().keyring_path
    with user_errors():
        keyring = create_keyring_file(path)
    console.print(f"keyring written to {path} (data key version {keyring.current_version}, mode 0600)")

"""``credit-gateway keys``: the keyring."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from gateway import jwks
from gateway.commands.common import console, settings, user_errors
from gateway.keyring import SigningPurpose, create_keyring_file, load_keyring, replace_keyring_file

app = typer.Typer(help="Keyring of data keys, the blind-index key and signing keys.", no_args_is_help=True)


@app.command("init")
def init() -> None:
    """Write a new keyring to GATEWAY_KEYRING (mode 0600); refuses to overwrite an existing one."""
    path = settings().keyring_path
    with user_errors():
        keyring = create_keyring_file(path)
    console.print(f"keyring written to {path} (data key version {keyring.current_version}, mode 0600)")


@app.command("add-signing-key")
def add_signing_key(
    purpose: Annotated[SigningPurpose, typer.Option(help="What the key will sign.", case_sensitive=False)],
) -> None:
    """Add the next Ed25519 signing key of a purpose; it signs from now on, older keys still verify."""
    path = settings().keyring_path
    with user_errors():
        keyring = load_keyring(path).with_signing_key(purpose)
        replace_keyring_file(path, keyring)
    console.print(f"added signing key {keyring.current_signing_kid(purpose)} to {path}")


@app.command("jwks")
def public_jwks(
    purpose: Annotated[
        SigningPurpose | None, typer.Option(help="Only keys of this purpose.", case_sensitive=False)
    ] = None,
) -> None:
    """Print the public JWKS of the signing keys on stdout (public halves only)."""
    with user_errors():
        document = jwks.public_jwks(load_keyring(settings().keyring_path), purpose)
    typer.echo(json.dumps(document, indent=2))

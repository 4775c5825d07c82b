"""``credit-gateway keys add-signing-key`` and ``keys jwks``: the keyring's Ed25519 signing keys.

They sit in the ``keys`` group next to the data-key commands; ``register`` adds them there.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from gateway.commands.common import console, settings, user_errors
from gateway.keys import jwks
from gateway.keys.keyring import SigningPurpose, keyring_lock, load_keyring, replace_keyring_file


def register(app: typer.Typer) -> None:
    app.command("add-signing-key")(add_signing_key)
    app.command("jwks")(public_jwks)


def add_signing_key(
    purpose: Annotated[SigningPurpose, typer.Option(help="What the key will sign.", case_sensitive=False)],
) -> None:
    """Add the next Ed25519 signing key of a purpose; it signs from now on, older keys still verify."""
    path = settings().keyring_path
    with user_errors(), keyring_lock(path):
        keyring = load_keyring(path).with_signing_key(purpose)
        replace_keyring_file(path, keyring)
    console.print(f"added signing key {keyring.current_signing_kid(purpose)} to {path}")


def public_jwks(
    purpose: Annotated[
        SigningPurpose | None, typer.Option(help="Only keys of this purpose.", case_sensitive=False)
    ] = None,
) -> None:
    """Print the public JWKS of the signing keys on stdout (public halves only)."""
    with user_errors():
        document = jwks.public_jwks(load_keyring(settings().keyring_path), purpose)
    typer.echo(json.dumps(document, indent=2))

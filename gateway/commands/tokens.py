"""``credit-gateway token``: caller authentication tokens signed by this gateway."""

from __future__ import annotations

from typing import Annotated

import typer

from gateway.access.tokens import DEFAULT_TTL_SECONDS, Role, TokenIssuer
from gateway.commands.common import console, settings, user_errors
from gateway.domain import AgencyKind
from gateway.errors import InvalidInput
from gateway.keys.keyring import load_keyring

app = typer.Typer(help="Caller authentication tokens.", no_args_is_help=True)

# Claim names in the issuer's errors, as the options that set them.
_OPTION = {
    "role": "--role",
    "sub": "--subject",
    "org": "--org",
    "agency_kind": "--agency-kind",
    "person": "--person-id",
    "ttl": "--ttl",
}


@app.command("issue")
def issue(
    role: Annotated[Role, typer.Option(help="Who the caller is (not public).", case_sensitive=False)],
    org: Annotated[
        str | None, typer.Option(help="Unified social credit code of the caller (partner and provider).")
    ] = None,
    agency_kind: Annotated[
        AgencyKind | None, typer.Option(help="What the agency does (partner).", case_sensitive=False)
    ] = None,
    person_id: Annotated[
        str | None,
        typer.Option(
            help="Subject id of the person (individual): 32 hex characters, never an identity number."
        ),
    ] = None,
    subject: Annotated[
        str | None,
        typer.Option(help="Caller id (sub). Defaults to --org or --person-id; auditor and admin need it."),
    ] = None,
    ttl: Annotated[
        int, typer.Option(help="Lifetime in seconds, at most GATEWAY_TOKEN_MAX_TTL.")
    ] = DEFAULT_TTL_SECONDS,
) -> None:
    """Sign a token with the keyring's current token key and print it on stdout, alone."""
    config = settings()
    with user_errors():
        issuer = TokenIssuer(
            load_keyring(config.keyring_path), issuer=config.issuer_id, max_ttl=config.token_max_ttl
        )
        try:
            issued = issuer.issue(
                role=role,
                subject=subject,
                org_code=org,
                agency_kind=agency_kind,
                person_id=person_id,
                ttl=ttl,
            )
        except InvalidInput as exc:
            raise InvalidInput(_OPTION.get(exc.field, exc.field), exc.reason) from None
    caller = issued.caller
    expires = f"{caller.expires_at:%Y-%m-%dT%H:%M:%SZ}" if caller.expires_at else "never"
    console.print(
        f"token {caller.token_id} for {caller.role} {caller.id}, key {issued.kid}, expires {expires}",
        highlight=False,
        markup=False,
    )
    typer.echo(issued.value)

"""``credit-gateway token``: caller authentication tokens signed by this gateway."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gateway.access.tokens import DEFAULT_TTL_SECONDS, Role, TokenIssuer
from gateway.commands.common import console, settings, user_errors
from gateway.domain import AgencyKind
from gateway.errors import ConfigurationError, InvalidInput, NotFound
from gateway.identifiers import normalize_id_number
from gateway.keys.crypto import FieldCipher
from gateway.keys.keyring import Keyring, load_keyring
from gateway.settings import Settings

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
        str | None,
        typer.Option(help="Unified social credit code of the caller (partner, enterprise and provider)."),
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
    id_number: Annotated[
        str | None,
        typer.Option(
            help="Identity number of the person (individual), instead of --person-id: looked up by blind "
            "index in GATEWAY_DATABASE_URL; it never enters the token."
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
        keyring = load_keyring(config.keyring_path)
        if id_number is not None:
            if person_id is not None:
                raise InvalidInput("--id-number", "give --id-number or --person-id, not both")
            person_id = person_id_of(config, keyring, id_number)
        issuer = TokenIssuer(keyring, issuer=config.issuer_id, max_ttl=config.token_max_ttl)
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


def person_id_of(config: Settings, keyring: Keyring, id_number: str) -> str:
    """The subject id of the person with this identity number, through the store's read service."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session

    from gateway.store import db
    from gateway.store.reads import find_person_id

    number = normalize_id_number(id_number, field="--id-number")
    url = make_url(config.database_url)
    # Connecting would create a missing SQLite file: an empty store, and a misleading NOT_FOUND.
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        raise ConfigurationError(f"no database at {url.database}: check GATEWAY_DATABASE_URL")
    engine = db.make_engine(config.database_url)
    try:
        with Session(engine) as session:
            found = find_person_id(session, FieldCipher(keyring), number)
    except SQLAlchemyError:
        raise ConfigurationError(
            "the persons cannot be read from GATEWAY_DATABASE_URL: run 'credit-gateway db upgrade'"
        ) from None
    finally:
        engine.dispose()
    if found is None:
        raise NotFound("no person with this identity number is in the store")
    return found

"""``credit-gateway schema``: the served GraphQL schema as SDL (committed as schema/credit-gateway.graphql,
since introspection is off outside dev mode)."""

from __future__ import annotations

import typer


def schema() -> None:
    """Print the GraphQL schema (SDL) the gateway serves."""
    from gateway.api.schema import sdl

    typer.echo(sdl(), nl=False)

"""The Strawberry schema, built once per worker."""

from __future__ import annotations

from functools import partial

import strawberry
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig

from gateway.api.operations import Mutation, Query


def build_schema(*, dev_mode: bool = False) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(disable_field_suggestions=not dev_mode),
        extensions=[partial(ParserCache, maxsize=1_024), partial(ValidationCache, maxsize=1_024)],
    )


def sdl() -> str:
    """The schema as SDL, as committed in schema/credit-gateway.graphql."""
    return build_schema().as_str() + "\n"

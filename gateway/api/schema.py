"""The Strawberry schema, built once per worker."""

from __future__ import annotations

from functools import partial

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from gateway.api.audit.types import LONG_SCALAR, Long
from gateway.api.operations import Mutation, Query


class GatewaySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Strawberry logs every error with a traceback; most of ours are answers (a denied field,
        a refused consent). The endpoint logs the unexpected ones when it formats them."""


def build_schema(*, dev_mode: bool = False) -> strawberry.Schema:
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(disable_field_suggestions=not dev_mode, scalar_map={Long: LONG_SCALAR}),
        extensions=[partial(ParserCache, maxsize=1_024), partial(ValidationCache, maxsize=1_024)],
    )


def sdl() -> str:
    """The schema as SDL, as committed in schema/credit-gateway.graphql."""
    return build_schema().as_str() + "\n"

"""The Strawberry schema, built once per worker, and its roots composed of their parts."""

from __future__ import annotations

from functools import partial

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from gateway.api.assessment.bulk import BulkCheckQuery
from gateway.api.assessment.operations import AssessmentQuery
from gateway.api.audit.operations import AuditQuery
from gateway.api.audit.record_history import RecordHistoryQuery
from gateway.api.audit.types import LONG_SCALAR, Long
from gateway.api.lifecycle.lists import ListMutation, ListQuery
from gateway.api.lifecycle.operations import LifecycleMutation, LifecycleQuery
from gateway.api.operations import SubjectMutation, SubjectQuery
from gateway.api.public_lists import PublicListQuery
from gateway.api.reports import ReportQuery
from gateway.api.token_operations import TokenMutation

# Each root is the fields of its parts, in this order: the order of the fields in the published SDL.
Query = merge_types(
    "Query",
    (
        AssessmentQuery,
        BulkCheckQuery,
        LifecycleQuery,
        ListQuery,
        AuditQuery,
        RecordHistoryQuery,
        SubjectQuery,
        ReportQuery,
        PublicListQuery,
    ),
)
Mutation = merge_types("Mutation", (LifecycleMutation, ListMutation, SubjectMutation, TokenMutation))


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

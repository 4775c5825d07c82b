"""Per-role limits on a GraphQL document: tokens, depth, aliases, and introspection.

Checked on the parsed document before validation and execution, so an abusive query costs a parse
and nothing more. Each refusal has its own code, a class of the error tree (``gateway.errors``). Parsed documents are cached per query text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)

from gateway.errors import (
    IntrospectionDisabled,
    OperationNotChosen,
    QuerySyntaxError,
    QueryTooDeep,
    QueryTooLarge,
    TooManyAliases,
)


@dataclass(frozen=True, slots=True)
class DocumentLimits:
    max_depth: int = 8
    max_aliases: int = 15
    max_tokens: int = 2_000


@dataclass(frozen=True, slots=True)
class DocumentShape:
    depth: int
    aliases: int
    introspection: bool


def check(
    query: str, limits: DocumentLimits, *, allow_introspection: bool, operation_name: str | None = None
) -> DocumentNode:
    document = _parse(query, limits.max_tokens)
    _check_operation_name(document, operation_name)
    check_shape(measure(document), limits, allow_introspection=allow_introspection)
    return document


def check_counted(
    tokens: int,
    shape: DocumentShape,
    operation_names: tuple[str | None, ...],
    limits: DocumentLimits,
    *,
    allow_introspection: bool,
    operation_name: str | None = None,
) -> None:
    """``check`` for a document parsed and measured before (a trusted document): the same refusals,
    from the numbers kept, without parsing or walking it again."""
    if tokens > limits.max_tokens:
        raise QueryTooLarge(f"the query has more than {limits.max_tokens} tokens, the limit for this caller")
    _check_names(operation_names, operation_name)
    check_shape(shape, limits, allow_introspection=allow_introspection)


def check_shape(shape: DocumentShape, limits: DocumentLimits, *, allow_introspection: bool) -> None:
    if shape.introspection and not allow_introspection:
        raise IntrospectionDisabled("introspection is disabled; the schema is published as an SDL file")
    if shape.depth > limits.max_depth:
        raise QueryTooDeep(
            f"query depth {shape.depth} exceeds the limit of {limits.max_depth} for this caller"
        )
    if shape.aliases > limits.max_aliases:
        raise TooManyAliases(
            f"{shape.aliases} aliases exceed the limit of {limits.max_aliases} for this caller"
        )


def _check_operation_name(document: DocumentNode, name: str | None) -> None:
    names = [
        d.name.value if d.name else None
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    ]
    _check_names(names, name)


def _check_names(names: Sequence[str | None], name: str | None) -> None:
    if name is None and len(names) > 1:
        raise OperationNotChosen("the document has several operations: name one in 'operationName'")
    if name is not None and name not in names:
        raise OperationNotChosen("'operationName' names no operation of the document")


@lru_cache(maxsize=2_048)
def _parse(query: str, max_tokens: int) -> DocumentNode:
    try:
        return parse(query, max_tokens=max_tokens)
    except GraphQLError as exc:
        if "tokens" in exc.message and "more than" in exc.message:
            raise QueryTooLarge(
                f"the query has more than {max_tokens} tokens, the limit for this caller"
            ) from None
        if "nested too deeply" in exc.message:
            raise QueryTooDeep("the query is nested too deeply") from None
        raise QuerySyntaxError(exc.message) from None


@lru_cache(maxsize=2_048)
def measure(document: DocumentNode) -> DocumentShape:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    state = {"aliases": 0, "introspection": False}

    def walk(selection_set: SelectionSetNode | None, depth: int, seen: frozenset[str]) -> int:
        if selection_set is None:
            return depth
        deepest = depth
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                if node.alias is not None:
                    state["aliases"] += 1
                if node.name.value in ("__schema", "__type"):
                    state["introspection"] = True
                deepest = max(deepest, walk(node.selection_set, depth + 1, seen))
            elif isinstance(node, InlineFragmentNode):
                deepest = max(deepest, walk(node.selection_set, depth, seen))
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                fragment = fragments.get(name)
                if fragment is not None and name not in seen:  # cycles are rejected by validation
                    deepest = max(deepest, walk(fragment.selection_set, depth, seen | {name}))
        return deepest

    depth = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            depth = max(depth, walk(definition.selection_set, 0, frozenset()))
    return DocumentShape(
        depth=depth, aliases=int(state["aliases"]), introspection=bool(state["introspection"])
    )

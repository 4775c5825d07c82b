"""How errors leave the gateway: a stable code and a plain message, never internals.

GraphQL errors keep their path; errors we raised on purpose carry their own code; anything else is
logged here with its traceback and reaches the caller as INTERNAL_ERROR. graphql-core's own errors
(syntax, validation, coercion) get the codes of their classes in the error tree (``gateway.errors``).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from graphql import GraphQLError

from gateway.errors import (
    BadUserInput,
    GatewayError,
    InternalError,
    InvalidInput,
    QuerySyntaxError,
    ValidationFailed,
)

log = logging.getLogger("gateway.api")

_SUGGESTION = re.compile(r"\s*Did you mean .*?\?", re.DOTALL)


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


def format_error(error: GraphQLError, *, dev_mode: bool) -> dict[str, Any]:
    formatted: dict[str, Any] = {"message": error.message}
    if error.locations:
        formatted["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path:
        formatted["path"] = error.path
    original = error.original_error
    if isinstance(original, GatewayError):
        formatted["message"] = original.message
        extensions: dict[str, Any] = {"code": original.code}
        if isinstance(original, InvalidInput):
            extensions["field"] = original.field
    elif error.extensions and "code" in error.extensions:
        extensions = dict(error.extensions)
    elif original is not None and not isinstance(original, GraphQLError):
        log.error("internal error at %s", error.path, exc_info=original)
        failed = InternalError()
        formatted["message"] = failed.message
        extensions = {"code": failed.code}
    else:
        extensions = {"code": _classify(error.message)}
        if not dev_mode:
            formatted["message"] = _SUGGESTION.sub("", error.message)
    formatted["extensions"] = extensions
    return formatted


def _classify(message: str) -> str:
    """Errors graphql-core raised itself (validation, coercion) have no code of their own."""
    if message.startswith("Variable '$") or "got invalid value" in message or "of required type" in message:
        return BadUserInput.code
    if message.startswith("Syntax Error"):
        return QuerySyntaxError.code
    return ValidationFailed.code

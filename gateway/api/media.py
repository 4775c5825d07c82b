"""GraphQL over HTTP media types: what a request's body must be, which media type its answer takes
(content negotiation by ``Accept``), and the HTTP status and shape of an answer in that type.

Two answer types exist (docs/graphql-over-http.md):

* ``application/json``, what every client got before and still gets when it names no other: every
  GraphQL answer is 200, a request error (the document does not parse or validate, a variable does
  not coerce, a limit refuses it) carries ``"data": null`` where Strawberry put it;
* ``application/graphql-response+json``, the specification's own type, for a client that asks for
  it: a request error has no ``data`` entry and a 400 (an ``INTERNAL_ERROR`` a 500), so that the
  status alone tells a proxy or a log that nothing was executed.

Pure: no web framework, so that the rules can be read and tested apart from the endpoint.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from gateway.errors import (
    DatabaseTimeout,
    DatabaseUnavailable,
    InternalError,
    NotAcceptable,
    UnsupportedMediaType,
)

_DATABASE_CODES = frozenset({DatabaseUnavailable.code, DatabaseTimeout.code})


class MediaType(StrEnum):
    GRAPHQL_RESPONSE = "application/graphql-response+json"
    JSON = "application/json"

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` of an answer: ``application/json`` exactly as before for existing
        clients; the new type names its encoding, as the specification recommends."""
        return f"{self.value}; charset=utf-8" if self is MediaType.GRAPHQL_RESPONSE else self.value


def check_body_type(content_type: str | None) -> None:
    """Refuse a body that is not declared as JSON in UTF-8 (``charset`` absent means UTF-8).

    A POST without ``Content-Type`` is refused too: guessing would let a form post from another
    site (``text/plain`` needs no CORS preflight) reach the endpoint as if it were JSON."""
    if content_type is None:
        raise UnsupportedMediaType("send the body with Content-Type: application/json")
    essence, params = _split(content_type)
    if essence != MediaType.JSON.value:
        raise UnsupportedMediaType("the body must be application/json")
    charset = params.get("charset", "utf-8").lower()
    if charset not in {"utf-8", "utf8"}:
        raise UnsupportedMediaType("the body must be encoded in UTF-8")


def negotiate(accept: str | None) -> MediaType:
    """The answer's media type for an ``Accept`` header (RFC 9110 §12.5.1).

    No header, or a wildcard that covers both types equally, gets ``application/json``: existing
    clients (curl, browsers' ``fetch``, GraphiQL) send ``*/*`` or ``application/json`` and keep the
    answers they had. The new type is chosen when it has the higher quality, or the same quality
    named exactly. Nothing acceptable is ``NOT_ACCEPTABLE`` (406)."""
    if accept is None or not accept.strip():
        return MediaType.JSON
    ranges = [_split(part) for part in accept.split(",") if part.strip()]
    graphql = _quality(MediaType.GRAPHQL_RESPONSE, ranges)
    json = _quality(MediaType.JSON, ranges)
    if graphql[0] <= 0 and json[0] <= 0:
        raise NotAcceptable(f"the answer is {MediaType.GRAPHQL_RESPONSE} or {MediaType.JSON}")
    if graphql[0] > json[0] or (graphql[0] == json[0] and graphql[1] == _EXACT):
        return MediaType.GRAPHQL_RESPONSE
    return MediaType.JSON


def is_request_error(body: dict[str, Any]) -> bool:
    """Whether an operation's answer is a GraphQL *request* error: nothing was executed, so the
    answer has no data. Refusals before execution (shape, limits, parse) have no ``data`` entry;
    Strawberry's validation and graphql-core's variable coercion answer ``"data": null`` with
    errors that have no ``path``, which every error of an executed field has."""
    if "data" not in body:
        return True
    return body["data"] is None and all("path" not in error for error in body.get("errors", []))


def answer(body: dict[str, Any], media: MediaType) -> tuple[int, dict[str, Any]]:
    """The HTTP status and the body of one operation's answer in ``media``. An operation the database
    failed under is a 503 in either media type: the request as a whole could not be answered."""
    codes = {error.get("extensions", {}).get("code") for error in body.get("errors", [])}
    if "data" not in body and codes and codes <= _DATABASE_CODES:
        return DatabaseUnavailable.http_status, body
    if media is MediaType.JSON or not is_request_error(body):
        return 200, body
    status = 500 if InternalError.code in codes else 400
    return status, {key: value for key, value in body.items() if key != "data"}


_EXACT, _SUBTYPE_WILDCARD, _WILDCARD, _NONE = 2, 1, 0, -1


def _quality(media: MediaType, ranges: list[tuple[str, dict[str, str]]]) -> tuple[float, int]:
    """The quality the most specific matching range gives ``media``, and how specific it is."""
    kind = media.value.split("/", 1)[0]
    best: tuple[float, int] = (0.0, _NONE)
    for essence, params in ranges:
        if essence == media.value:
            specificity = _EXACT
        elif essence == f"{kind}/*":
            specificity = _SUBTYPE_WILDCARD
        elif essence == "*/*":
            specificity = _WILDCARD
        else:
            continue
        if specificity > best[1]:
            best = (_q(params.get("q")), specificity)
    return best


def _q(raw: str | None) -> float:
    """A ``q`` weight; a malformed one counts as 1, the default, rather than refusing the request."""
    if raw is None:
        return 1.0
    try:
        value = float(raw)
    except ValueError:
        return 1.0
    return min(max(value, 0.0), 1.0) if value == value else 1.0  # NaN is not a weight


def _split(value: str) -> tuple[str, dict[str, str]]:
    """A media type (or range) as its lower-case essence and its parameters."""
    essence, *rest = value.split(";")
    params: dict[str, str] = {}
    for param in rest:
        name, _, raw = param.partition("=")
        params[name.strip().lower()] = raw.strip().strip('"')
    return essence.strip().lower(), params

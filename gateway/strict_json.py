"""JSON as RFC 8259 defines it, with nothing left to a parser's choice.

RFC 8259 leaves the meaning of an object that names a member twice to the parser, and Python's
parser also reads ``NaN`` and ``Infinity``, which are not JSON. Wherever two parties read the same
bytes (a proxy and the gateway reading a request body, an issuer and the gateway reading a token's
claims), one reading the first ``"query"`` or ``"role"`` and the other the last is a way to smuggle
a value past a check: both are refused.
"""

from __future__ import annotations

import json
from typing import Any


def loads(text: str | bytes) -> Any:
    """``json.loads``, refusing duplicate member names and ``NaN``/``Infinity`` with ``ValueError``."""
    return json.loads(text, object_pairs_hook=_unique_members, parse_constant=_not_json)


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members = dict(pairs)
    if len(members) != len(pairs):
        raise ValueError("a member name appears twice")
    return members


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")

"""Canonical bytes of an audit event: what a leaf of the tree hashes.

A deterministic JSON encoding, so that anyone holding an event can re-encode it and recompute its
leaf hash (docs/audit.md, "Canonical bytes"):

- UTF-8, no byte order mark, no whitespace between tokens;
- object members sorted by key, comparing keys by their UTF-8 bytes (equivalently, code points);
- strings: ``"`` and ``\\`` escaped with a backslash; U+0008, U+0009, U+000A, U+000C, U+000D as
  ``\\b \\t \\n \\f \\r``; other characters below U+0020 as ``\\u00xx`` (lower-case hex); every other
  character written as itself;
- numbers are integers only, in decimal without sign for positives, leading zeros or exponent;
- ``true``, ``false``, ``null``.

This is what Python's ``json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))``
writes for such values; it agrees with RFC 8785 (JCS) for every event the gateway writes, whose keys
are ASCII and whose numbers are integers.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

JSONValue = None | bool | int | str | list["JSONValue"] | dict[str, "JSONValue"]


class NotCanonical(ValueError):
    """A value the canonical encoding does not represent (a float, a lone surrogate, a non-str key)."""


# What json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")) builds on every
# call, built once: verification encodes every event of the log again.
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def canonical_bytes(value: Any) -> bytes:
    check(value)
    return _ENCODER.encode(value).encode("utf-8")


def _refuse_number(text: str) -> Any:
    raise NotCanonical(f"{text} is not an integer")


def parse(data: bytes) -> Any:
    """The value canonical bytes encode; raises ValueError when they are not canonical.

    Decoded JSON holds strings, integers, booleans, null, lists and string-keyed objects, plus the
    two things without a canonical form: floats (refused as they are read) and lone surrogates
    (from ``\\u`` escapes; they have no UTF-8 bytes, so encoding them again fails). So the bytes are
    canonical exactly when encoding the value again gives them back, with no walk over the value
    as ``check`` does: verification parses every event of the log."""
    value = json.loads(data.decode("utf-8"), parse_float=_refuse_number, parse_constant=_refuse_number)
    try:
        encoded = _ENCODER.encode(value).encode("utf-8")
    except UnicodeEncodeError:
        raise NotCanonical("a string holds a lone surrogate") from None
    if encoded != data:
        raise NotCanonical("the bytes are JSON but not in canonical form")
    return value


def clean_text(text: str) -> str:
    """Text that encodes: lone surrogates (which JSON escapes may carry) become U+FFFD."""
    if not _has_surrogate(text):
        return text
    return _SURROGATE.sub("\ufffd", text)


def format_time(moment: datetime) -> str:
    """UTC, microseconds, ``Z``: ``2026-03-12T09:00:00.000000Z`` (always 27 characters)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    """The instant ``format_time`` wrote, in exactly that form (strptime, ten times slower, also took
    unpadded fields)."""
    if not isinstance(text, str) or _TIME.fullmatch(text) is None:
        raise ValueError(f"not an event time: {text!r}")
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)


_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_surrogate(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def check(value: Any) -> None:
    """Raise NotCanonical unless ``value`` has a canonical encoding."""
    if value is None or isinstance(value, bool | int):
        return
    if isinstance(value, str):
        if _has_surrogate(value):
            raise NotCanonical("a string holds a lone surrogate")
        return
    if isinstance(value, list):
        for item in value:
            check(item)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise NotCanonical("object keys must be strings")
            check(key)
            check(item)
        return
    raise NotCanonical(f"{type(value).__name__} values have no canonical form")

"""A record's content hash and the JSON snapshot of a superseded version.

The content hash tells a resubmission that changes nothing (UNCHANGED) from one that does; stored
hashes must not change, so the canonical form here is fixed (a test pins one hash).
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Any

from gateway.store.models import CreditRecord

_PLAIN_TYPES = frozenset({type(None), bool, int, str})
# What json.dumps(..., ensure_ascii=False) builds on every call, built once: the content hash is
# computed for every record written, and stored hashes must not change (a test pins one).
_CANONICAL_JSON = json.JSONEncoder(ensure_ascii=False)
# Fields added after hashes were first stored: hashed only when given, so that every record stored
# before them keeps its hash (a resubmission of it is still UNCHANGED).
_HASHED_WHEN_GIVEN = frozenset({"act_date"})


def jsonable(value: Any) -> Any:
    if type(value) in _PLAIN_TYPES:
        return value
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, bool | int | str):
        return value
    return str(value)


def content_hash(values: dict[str, Any]) -> str:
    # Plain values (most of a record) skip the call to _jsonable: this runs for every record written.
    plain = _PLAIN_TYPES
    canonical = _CANONICAL_JSON.encode(
        {
            k: v if type(v) in plain else jsonable(v)
            for k, v in sorted(values.items())
            if v is not None or k not in _HASHED_WHEN_GIVEN
        }
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


# Ciphertexts stay out of a snapshot: key rotation re-encrypts columns, not JSON documents, so a sealed
# value kept here would become unreadable once its key is pruned. A superseded version keeps its
# content as stored, which for a text about a natural person is the masked form (docs/privacy-model.md).
_NOT_SNAPSHOT = frozenset({"key_version", "content_enc"})


def snapshot(rec: CreditRecord) -> dict[str, Any]:
    return {
        c.key: jsonable(getattr(rec, c.key))
        for c in CreditRecord.__table__.columns
        if c.key not in _NOT_SNAPSHOT
    }

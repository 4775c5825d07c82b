"""What writing one item did to the store, and the ids and lookups a batch write shares.

Its own module because both halves of a batch write use it: the identity upserts
(``gateway.store.identities``) and the record and list-entry upserts (``gateway.store.writer``).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# Lookups use IN lists; keep them well under SQLite's bound-parameter limit.
LOOKUP_CHUNK = 2_000


class WriteOutcome(StrEnum):
    """What writing one item did to the store."""

    CREATED = "CREATED"
    UPDATED = "UPDATED"
    UNCHANGED = "UNCHANGED"
    REJECTED = "REJECTED"


@dataclass(frozen=True, slots=True)
class ItemResult:
    outcome: WriteOutcome
    id: str | None = None
    field: str | None = None
    reason: str | None = None
    subject_id: str | None = None  # the subject written or written about (for the audit's change events)


def new_id() -> str:
    return secrets.token_hex(16)


def chunks(values: Sequence[Any], size: int = LOOKUP_CHUNK) -> Iterable[Sequence[Any]]:
    """``values`` in slices of at most ``size``: one IN list each."""
    for start in range(0, len(values), size):
        yield values[start : start + size]

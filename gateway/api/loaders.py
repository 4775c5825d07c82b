"""Per-request batch loaders: the reads that nested fields need, one query per kind and request.

Resolvers run synchronously (``execute_sync`` in the thread pool), so Strawberry's awaitable
``DataLoader`` cannot gather keys across sibling fields. These loaders batch the synchronous way:
the resolver that returns a list announces what its items will ask for (``expect``), and the first
item that asks fetches the values for every announced key at once. An organisation with 50 list
entries thus costs one query for all their justifying records, not 50.

A ``Loaders`` object belongs to one request context and dies with it: its cache holds rows read in
that request's transaction under that caller, and must never serve another request.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from gateway.domain import SubjectKind
from gateway.store import reads
from gateway.store.models import CreditRecord, ListEntry

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# Keys per query: the IN list stays well under the drivers' bound-parameter limits.
CHUNK = 1_000


class BatchLoader(Generic[K, V]):
    """Values by key, fetched in batches and cached for the rest of the request."""

    def __init__(
        self,
        fetch: Callable[[Sequence[K]], Mapping[K, V]],
        absent: Callable[[], V],
        on_fetched: Callable[[Mapping[K, V]], None] | None = None,
    ) -> None:
        self._fetch = fetch
        self._absent = absent  # the value of a key the fetch did not return (no rows)
        self._on_fetched = on_fetched
        self._cache: dict[K, V] = {}
        self._pending: dict[K, None] = {}  # insertion-ordered set

    def expect(self, keys: Iterable[K]) -> None:
        """Announce keys that will be asked for: the next fetch includes them."""
        for key in keys:
            if key not in self._cache:
                self._pending[key] = None

    def load(self, key: K) -> V:
        return self.load_many([key])[key]

    def load_many(self, keys: Iterable[K]) -> dict[K, V]:
        wanted = list(dict.fromkeys(keys))
        if any(key not in self._cache for key in wanted):
            self.expect(wanted)
            batch = sorted(self._pending, key=str)
            self._pending.clear()
            for start in range(0, len(batch), CHUNK):
                chunk = batch[start : start + CHUNK]
                fetched = self._fetch(chunk)
                for key in chunk:
                    self._cache[key] = fetched[key] if key in fetched else self._absent()
                if self._on_fetched is not None:
                    self._on_fetched(fetched)
        return {key: self._cache[key] for key in wanted}


class Loaders:
    """The loaders of one request, over its session."""

    def __init__(self, session: Session) -> None:
        self.subject_kinds: BatchLoader[str, SubjectKind | None] = BatchLoader(
            lambda ids: reads.subject_kinds(session, ids), lambda: None
        )
        self.records: BatchLoader[str, list[CreditRecord]] = BatchLoader(
            lambda ids: reads.records_of(session, ids), list, self._expect_subjects
        )
        self.linked_records: BatchLoader[str, list[CreditRecord]] = BatchLoader(
            lambda ids: reads.linked_records_of(session, ids), list, self._expect_subjects
        )
        self.list_entries: BatchLoader[str, list[ListEntry]] = BatchLoader(
            lambda ids: reads.list_entries_of(session, ids), list
        )
        self.justifying: BatchLoader[str, list[CreditRecord]] = BatchLoader(
            lambda ids: reads.records_justifying(session, ids), list, self._expect_subjects
        )

    def _expect_subjects(self, fetched: Mapping[str, list[CreditRecord]]) -> None:
        """Records just read will need their subjects' kinds (public visibility): fetch those together."""
        self.subject_kinds.expect(r.subject_id for rows in fetched.values() for r in rows)

    def kinds_of(self, subject_ids: Iterable[str]) -> dict[str, SubjectKind]:
        """Kinds of the subjects that exist; a missing one is left out (visibility then hides)."""
        return {
            sid: kind for sid, kind in self.subject_kinds.load_many(subject_ids).items() if kind is not None
        }

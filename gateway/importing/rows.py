"""What a reader hands the pipeline: one line (or CSV row) as validated inputs, or its rejection."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gateway.importing.report import Rejection
from gateway.store.inputs import Item, RecordInput, RecordKey


@dataclass(frozen=True, slots=True)
class SourceRow:
    """``items`` are written together (a CSV row is its subject and its record, subject first).

    ``labels`` maps input field names (``documentNumber``, ``subject.creditCode``) to the names the
    file uses for them, so a rejection found after parsing still names the column the sender knows.
    """

    line: int
    items: tuple[Item, ...] = ()
    rejection: Rejection | None = None
    labels: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def rejected(cls, line: int, field: str | None, reason: str) -> SourceRow:
        return cls(line, rejection=Rejection(line, field, reason))

    def label(self, name: str | None) -> str | None:
        return None if name is None else self.labels.get(name, name)

    @property
    def record_key(self) -> RecordKey | None:
        """The de-duplication key of the row's record: (authority, document number, category)."""
        for item in self.items:
            if isinstance(item, RecordInput):
                return item.key
        return None
